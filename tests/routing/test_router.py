"""The router's walk: skips, failures, repair, blocking, circuit breakers (real Redis) and the
request deadline. Providers here are a scripted in-process adapter (a fake, named so); the
same behaviour through the real SDKs against the fake HTTP servers is in tests/routing/providers."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import pytest

from routing.breakers import BreakerConfig, CircuitBreakers
from routing.providers import registry
from routing.providers.base import ProviderError, ProviderResponse, RequestContext
from routing.router import RoutePlan, route
from tests.factories import staff_login

pytestmark = pytest.mark.django_db
VALID = {"answer": "ok"}


def validate(output) -> list[str]:
    return [] if isinstance(output, dict) and output.get("answer") == "ok" else ["answer must be 'ok'"]


@dataclass
class ScriptedAdapterFake:
    """Answers from a script of steps: a dict/str answer, a ProviderError, or ("hang", seconds)."""

    kind: str
    script: list = field(default_factory=list)
    calls: list = field(default_factory=list)

    def is_configured(self, model: str | None = None) -> bool:
        return True

    def complete(self, request):
        self.calls.append(request)
        step = self.script.pop(0) if self.script else VALID
        if isinstance(step, ProviderError):
            raise step
        if isinstance(step, tuple) and step[0] == "hang":
            time.sleep(min(step[1], request.timeout_seconds))
            raise ProviderError("timeout", "timed out", retryable=True)
        return ProviderResponse(output=step, input_tokens=100, output_tokens=20)


class FallbackFake:
    kind = "deterministic"

    def is_configured(self, model=None):
        return True

    def complete(self, request):
        return ProviderResponse(output={"answer": "ok", "source": "fallback"})


@pytest.fixture
def providers(monkeypatch, catalog):
    fakes = {kind: ScriptedAdapterFake(kind) for kind in ("vertex", "anthropic", "openai")}
    monkeypatch.setattr(registry, "adapter_for", lambda kind: fakes.get(kind) or FallbackFake())
    monkeypatch.setattr("routing.router.adapter_for", lambda kind: fakes.get(kind) or FallbackFake())
    return fakes


@pytest.fixture
def breakers():
    config = BreakerConfig(failure_threshold=5, cooldown_seconds=0.3, probe_lease_seconds=0.3)
    instance = CircuitBreakers(config)
    names = ["vertex", "anthropic", "openai"]
    instance._client.delete(*[instance.key(name) for name in names])
    yield instance
    instance._client.delete(*[instance.key(name) for name in names])


def plan(**changes) -> RoutePlan:
    base = dict(
        capability_id="pricing.suggest",
        chain=("gemini-1.5-flash", "claude-3-5-sonnet", "gpt-4o-mini", "deterministic"),
        allowed_providers=(),
        eu_only=False,
        system_prompt="s",
        user_prompt="u",
        payload={},
        output_schema={},
        max_output_tokens=100,
        temperature=0.1,
        timeout_seconds=1.0,
        deadline_seconds=2.5,
        context=RequestContext(
            tenant_id=str(uuid.uuid4()),
            tenant_region="europe-west1",
            tenant_country="AF",
            locale="en",
            feature="t",
            offline=False,
        ),
    )
    return RoutePlan(**(base | changes))


def outcomes(result) -> list[tuple[str, str]]:
    return [(attempt.provider, attempt.outcome) for attempt in result.attempts]


def test_first_provider_answers(providers, breakers):
    result = route(plan(), validate=validate, screen=lambda o, safety=None: "allow", breakers=breakers)
    assert (result.provider, result.degraded, outcomes(result)) == ("vertex", False, [("vertex", "ok")])
    assert (result.input_tokens, result.output_tokens) == (100, 20)
    assert result.cost_usd > 0  # gemini-1.5-flash list prices


@pytest.mark.parametrize(
    "kind, outcome", [("timeout", "timeout"), ("rate_limited", "error"), ("server", "error"), ("malformed", "error")]
)
def test_each_failure_moves_to_the_next_provider(providers, breakers, kind, outcome):
    providers["vertex"].script = [ProviderError(kind, "x", retryable=True)]
    result = route(plan(), validate=validate, screen=lambda o, safety=None: "allow", breakers=breakers)
    assert outcomes(result) == [("vertex", outcome), ("anthropic", "ok")]
    assert result.fallback_used and not result.degraded


def test_invalid_output_gets_one_repair_attempt(providers, breakers):
    providers["vertex"].script = [{"answer": "wrong"}, {"answer": "ok"}]
    result = route(plan(), validate=validate, screen=lambda o, safety=None: "allow", breakers=breakers)
    assert (result.provider, result.repaired) == ("vertex", True)
    assert "did not match the required JSON Schema" in providers["vertex"].calls[1].user_prompt
    assert result.input_tokens == 200  # both calls are charged


def test_output_still_invalid_after_repair_moves_on(providers, breakers):
    providers["vertex"].script = ["not json at all", "still not json"]
    result = route(plan(), validate=validate, screen=lambda o, safety=None: "allow", breakers=breakers)
    assert outcomes(result) == [("vertex", "schema_invalid"), ("anthropic", "ok")]


def test_blocked_output_moves_on(providers, breakers):
    screens = iter(["block", "allow"])
    result = route(plan(), validate=validate, screen=lambda o, safety=None: next(screens), breakers=breakers)
    assert outcomes(result) == [("vertex", "blocked"), ("anthropic", "ok")]


def test_all_failing_ends_in_the_deterministic_fallback_degraded(providers, breakers):
    for fake in providers.values():
        fake.script = [ProviderError("server", "boom", retryable=True)]
    result = route(plan(), validate=validate, screen=lambda o, safety=None: "allow", breakers=breakers)
    assert result.degraded and result.provider == "deterministic"
    assert [o for _, o in outcomes(result)] == ["error", "error", "error", "ok"]


def test_residency_forbids_openai_for_an_eu_only_tenant(providers, breakers):
    providers["vertex"].script = [ProviderError("server", "x", retryable=True)]
    providers["anthropic"].script = [ProviderError("server", "x", retryable=True)]
    result = route(plan(eu_only=True), validate=validate, screen=lambda o, safety=None: "allow", breakers=breakers)
    assert outcomes(result)[2] == ("openai", "residency")
    assert providers["openai"].calls == []


def test_capability_residency_limits_providers(providers, breakers):
    result = route(
        plan(allowed_providers=("vertex", "deterministic"), chain=("claude-3-5-sonnet", "deterministic")),
        validate=validate,
        screen=lambda o, safety=None: "allow",
        breakers=breakers,
    )
    assert outcomes(result) == [("anthropic", "residency"), ("deterministic", "ok")]


def test_budget_skips_every_model(providers, breakers):
    result = route(plan(skip_models=True), validate=validate, screen=lambda o, safety=None: "allow", breakers=breakers)
    assert [o for _, o in outcomes(result)] == ["budget", "budget", "budget", "ok"]
    assert all(fake.calls == [] for fake in providers.values())


def test_breaker_opens_after_five_failures_probes_and_closes(providers, breakers):
    for _ in range(5):
        providers["vertex"].script = [ProviderError("server", "x", retryable=True)]
        route(plan(), validate=validate, screen=lambda o, safety=None: "allow", breakers=breakers)
    assert breakers.state("vertex") == "open"
    skipped = route(plan(), validate=validate, screen=lambda o, safety=None: "allow", breakers=breakers)
    assert outcomes(skipped)[0] == ("vertex", "circuit_open")
    assert len(providers["vertex"].calls) == 5
    time.sleep(0.35)  # the cool-down passes: one probe goes through, succeeds, the circuit closes
    probed = route(plan(), validate=validate, screen=lambda o, safety=None: "allow", breakers=breakers)
    assert outcomes(probed) == [("vertex", "ok")]
    assert breakers.state("vertex") == "closed"


def test_a_failed_probe_opens_the_circuit_again(providers, breakers):
    for _ in range(5):
        breakers.record_failure("vertex")
    time.sleep(0.35)
    providers["vertex"].script = [ProviderError("timeout", "x", retryable=True)]
    route(plan(), validate=validate, screen=lambda o, safety=None: "allow", breakers=breakers)
    assert breakers.state("vertex") == "open"


def test_only_one_probe_at_a_time_when_half_open(breakers):
    for _ in range(5):
        breakers.record_failure("anthropic")
    time.sleep(0.35)
    assert [breakers.allow("anthropic") for _ in range(3)] == [True, False, False]


def test_request_errors_do_not_open_the_circuit(providers, breakers):
    for _ in range(6):
        providers["vertex"].script = [ProviderError("bad_request", "x", retryable=False)]
        route(plan(), validate=validate, screen=lambda o, safety=None: "allow", breakers=breakers)
    assert breakers.state("vertex") == "closed"


def test_hung_providers_are_bounded_by_the_request_deadline(providers, breakers):
    for fake in providers.values():
        fake.script = [("hang", 30)]
    started = time.perf_counter()
    result = route(
        plan(timeout_seconds=1.0, deadline_seconds=1.5),
        validate=validate,
        screen=lambda o, safety=None: "allow",
        breakers=breakers,
    )
    elapsed = time.perf_counter() - started
    assert result.degraded
    assert elapsed < 1.5 + 0.2, elapsed  # the deadline, plus scheduling slack
    assert ("openai", "timeout") in outcomes(result)
    assert result.attempts[-2].detail == "request deadline reached"


def test_circuit_states_show_in_readyz_metrics_and_admin(anon_client, metrics_scraper, breakers, superuser, client):
    for _ in range(5):
        breakers.record_failure("anthropic")
    ready = anon_client.get("/readyz").json()
    assert ready["details"]["circuits"]["anthropic"] == "open"
    assert ready["details"]["circuits"]["vertex"] == "closed"
    metrics = metrics_scraper.get("/metrics").content.decode()
    assert 'melmastoon_provider_circuit_state{breaker="anthropic"} 2.0' in metrics
    staff_login(client, superuser)
    page = client.get("/admin/routing/provider/").content.decode()
    assert '<td class="field-circuit">open</td>' in page
