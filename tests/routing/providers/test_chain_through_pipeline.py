"""The whole request path with real SDK clients against the fake provider servers: who answers,
how failures move down the chain, breakers, the deadline, residency, and degradation."""

from __future__ import annotations

import time

import pytest

from capabilities.models import Capability
from capabilities.pipeline import circuit_breakers
from melmastoon_ai.tenancy.models import Tenant
from routing.breakers import CircuitBreakers

pytestmark = pytest.mark.django_db
URL = "/api/v1/ai/complete"


@pytest.fixture
def chain_ready(providers_from_settings, catalog, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(rate_limit_per_minute=100_000, cache_enabled=False)
    providers_from_settings.BREAKER_COOLDOWN_SECONDS = 1
    circuit_breakers.cache_clear()
    breakers = CircuitBreakers()
    keys = [breakers.key(kind) for kind in ("vertex", "anthropic", "openai")]
    breakers._client.delete(*keys)
    yield providers_from_settings
    breakers._client.delete(*keys)
    circuit_breakers.cache_clear()


def ask(client, capability_id="pricing.suggest"):
    example = Capability.objects.get(pk=capability_id).examples[0]
    response = client.post(
        URL, {"capability": capability_id, "input": example, "context": {"feature": "t"}}, format="json"
    )
    assert response.status_code == 200, response.content[:300]
    return response.json()


def outcomes(body) -> list[tuple[str, str]]:
    return [(a["provider"], a["outcome"]) for a in body["provenance"]["attempts"]]


def test_the_default_model_answers_through_vertex(client_a, chain_ready, vertex_fake):
    body = ask(client_a)
    assert (body["degraded"], body["provenance"]["provider"], body["provenance"]["model"]) == (
        False,
        "vertex",
        "gemini-1.5-flash",
    )
    assert body["provenance"]["tokens"]["input"] > 0 and float(body["provenance"]["cost_usd"]) > 0
    assert "locations/europe-west1" in vertex_fake.received[-1].path


@pytest.mark.parametrize(
    "failure", [{"status": 500}, {"status": 429}, {"status": 529}, {"malformed_json": True}, {"truncated": True}]
)
def test_each_failure_kind_moves_to_the_next_in_the_chain(client_a, chain_ready, vertex_fake, failure):
    vertex_fake.script(times=None, **failure)
    body = ask(client_a)
    assert outcomes(body)[0][0] == "vertex" and outcomes(body)[0][1] in ("error", "schema_invalid")
    assert outcomes(body)[1] == ("anthropic", "ok")
    assert body["provenance"]["fallback_used"] and not body["degraded"]


def test_schema_invalid_output_is_repaired_once_then_moves_on(client_a, chain_ready, vertex_fake):
    vertex_fake.script(times=None, schema_invalid=True)
    body = ask(client_a)
    assert outcomes(body)[:2] == [("vertex", "schema_invalid"), ("anthropic", "ok")]
    assert len(vertex_fake.received) == 2  # the answer and its one repair attempt


def test_every_provider_failing_ends_degraded_in_the_deterministic_fallback(
    client_a, chain_ready, vertex_fake, anthropic_fake, openai_fake
):
    for fake in (vertex_fake, anthropic_fake, openai_fake):
        fake.script(times=None, status=503)
    body = ask(client_a)
    assert body["degraded"] is True and body["provenance"]["provider"] == "deterministic"
    assert [o for _, o in outcomes(body)] == ["error", "error", "error", "ok"]


def test_a_breaker_opens_after_five_failures_probes_and_closes(client_a, chain_ready, vertex_fake):
    vertex_fake.script(times=None, status=500)
    for _ in range(5):
        ask(client_a)
    assert outcomes(ask(client_a))[0] == ("vertex", "circuit_open")
    calls = len(vertex_fake.received)
    vertex_fake.reset()
    time.sleep(1.1)  # the cool-down (1 s here) passes; the next request is the probe
    assert outcomes(ask(client_a))[0] == ("vertex", "ok")
    assert CircuitBreakers().state("vertex") == "closed"
    assert calls == 5


def test_a_hung_provider_is_bounded_by_the_request_deadline(
    client_a, chain_ready, vertex_fake, anthropic_fake, openai_fake
):
    for fake in (vertex_fake, anthropic_fake, openai_fake):
        fake.script(times=None, hang=True)
    started = time.perf_counter()
    body = ask(client_a)  # pricing.suggest: 1.5 s target + 1 s margin
    elapsed = time.perf_counter() - started
    assert body["degraded"] is True
    assert elapsed < 2.5 + 0.5, elapsed
    assert "timeout" in [o for _, o in outcomes(body)]


def test_an_eu_only_tenant_never_reaches_openai(
    client_a, tenant_a, chain_ready, vertex_fake, anthropic_fake, openai_fake
):
    Tenant.objects.filter(pk=tenant_a.pk).update(data_residency=Tenant.Residency.EU_ONLY)
    vertex_fake.script(times=None, status=500)
    anthropic_fake.script(times=None, status=500)
    body = ask(client_a)
    assert ("openai", "residency") in outcomes(body)
    assert openai_fake.received == []
    assert body["degraded"] is True


def test_id_documents_never_leave_the_allowed_providers(client_a, chain_ready, vertex_fake, openai_fake):
    vertex_fake.script(times=None, status=500)
    body = ask(client_a, "ocr.id_scan")
    assert body["provenance"]["provider"] == "deterministic"
    assert openai_fake.received == []


def test_an_eu_only_tenant_never_reaches_the_direct_anthropic_api(
    client_a, tenant_a, chain_ready, vertex_fake, anthropic_fake, openai_fake
):
    """api.anthropic.com processes in the US: only the Vertex partner endpoint keeps Claude in the EU."""
    Tenant.objects.filter(pk=tenant_a.pk).update(data_residency=Tenant.Residency.EU_ONLY)
    vertex_fake.script(times=None, status=500)
    body = ask(client_a)
    assert outcomes(body)[1:] == [("anthropic", "residency"), ("openai", "residency"), ("deterministic", "ok")]
    assert anthropic_fake.received == [] and openai_fake.received == []


def test_an_eu_only_tenant_reaches_claude_through_the_vertex_partner_endpoint(
    client_a, tenant_a, chain_ready, vertex_fake, anthropic_fake
):
    from routing.providers.registry import adapter_for

    Tenant.objects.filter(pk=tenant_a.pk).update(data_residency=Tenant.Residency.EU_ONLY)
    chain_ready.VERTEX_ANTHROPIC = True
    adapter_for.cache_clear()
    vertex_fake.script(times=1, status=500)  # gemini fails; Claude on Vertex (the same fake, :rawPredict) answers
    body = ask(client_a)
    assert outcomes(body)[:2] == [("vertex", "error"), ("anthropic", "ok")]
    assert anthropic_fake.received == []
    assert vertex_fake.received[-1].path.endswith(":rawPredict")
    assert "/locations/europe-west1/" in vertex_fake.received[-1].path


def test_an_eu_only_tenant_in_a_non_eu_region_never_reaches_vertex_there(
    client_a, tenant_a, chain_ready, vertex_fake, anthropic_fake
):
    """Vertex calls go to the tenant's region: residency follows that endpoint, not the provider's name."""
    Tenant.objects.filter(pk=tenant_a.pk).update(data_residency=Tenant.Residency.EU_ONLY, region="us-central1")
    body = ask(client_a)
    assert outcomes(body)[0] == ("vertex", "residency")
    assert vertex_fake.received == [] and anthropic_fake.received == []
    assert body["degraded"] is True


def test_embed_for_an_eu_only_tenant_in_a_non_eu_region_never_reaches_vertex(
    client_a, tenant_a, chain_ready, vertex_fake
):
    Tenant.objects.filter(pk=tenant_a.pk).update(data_residency=Tenant.Residency.EU_ONLY, region="us-central1")
    body = client_a.post("/api/v1/ai/embed", {"texts": ["late check-out"]}, format="json").json()
    assert body["provenance"]["attempts"][0] == {
        "provider": "vertex",
        "model": "text-embedding-004",
        "outcome": "residency",
    }
    assert vertex_fake.received == []
