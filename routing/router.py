"""Walk a capability's fallback chain until a provider gives a valid, allowed answer (step 7).

The chain always ends in `deterministic`, which never fails, so `route` always answers, within
the request deadline (the capability's latency target plus a bounded margin) even when every
provider hangs. Every attempt is recorded with its outcome: ok, error, timeout, circuit_open,
not_configured, residency, schema_invalid, blocked, budget.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from melmastoon_ai.observability import timing
from routing.breakers import CircuitBreakers
from routing.providers.base import ProviderError, ProviderRequest, ProviderResponse, RequestContext
from routing.providers.registry import adapter_for
from routing.residency import eu_resident
from routing.selectors import ModelSpec, model_get

logger = logging.getLogger(__name__)
DETERMINISTIC = "deterministic"
MILLION = Decimal(1_000_000)
DETERMINISTIC_RESERVE_SECONDS = 0.25  # kept back from the deadline for the fallback to answer
MIN_ATTEMPT_SECONDS = 0.05
NOT_BREAKER_FAILURES = frozenset({"bad_request", "refused"})  # the request's fault, not the provider's
OutputValidator = Callable[[object], list[str]]  # returns the schema errors, empty when valid
OutputScreen = Callable[[dict, dict], str]  # (output, the provider's safety ratings) -> "allow" or "block"
# A model's schema-valid answer checked against its request (ids it cites, currency, bounds):
# the errors, empty when it holds. Not applied to the deterministic fallback (our own code).
AnswerCheck = Callable[[object], list[str]]


@dataclass
class Attempt:
    provider: str
    model: str
    outcome: str
    latency_ms: int = 0
    detail: str = ""

    def as_dict(self) -> dict:
        row = {"provider": self.provider, "model": self.model, "outcome": self.outcome, "latency_ms": self.latency_ms}
        if self.detail:
            row["detail"] = self.detail
        return row


@dataclass
class RouteResult:
    output: dict
    provider: str
    model: str
    attempts: list[Attempt] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    provider_ms: float = 0.0
    decision_ms: float = 0.0
    repaired: bool = False
    schema_valid: bool = True
    output_safety: str = "allow"

    @property
    def degraded(self) -> bool:
        return self.provider == DETERMINISTIC

    @property
    def fallback_used(self) -> bool:
        return len(self.attempts) > 1


@dataclass(frozen=True)
class RoutePlan:
    capability_id: str
    chain: tuple[str, ...]
    allowed_providers: tuple[str, ...]
    eu_only: bool
    system_prompt: str | None
    user_prompt: str | None
    payload: dict
    output_schema: dict
    max_output_tokens: int
    temperature: float
    timeout_seconds: float  # per attempt
    deadline_seconds: float  # the whole walk
    context: RequestContext
    skip_models: bool = False  # the budget is spent: straight to the deterministic answer


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)


def parse_json_output(raw: object) -> object:
    """A provider's text as JSON: tolerate code fences and prose around one JSON object."""
    if not isinstance(raw, str):
        return raw
    text = _FENCE.sub("", raw.strip())
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        start, end = text.find("{"), text.rfind("}")
        if 0 <= start < end:
            return json.loads(text[start:end + 1])
        raise


def cost_of(model: ModelSpec, response: ProviderResponse) -> Decimal:
    if model.price_unit != "token":
        return Decimal(0)
    cost = (Decimal(response.input_tokens) * model.input_price_per_million
            + Decimal(response.output_tokens) * model.output_price_per_million) / MILLION
    return cost.quantize(Decimal("0.000001"))


def cost_of_tokens(model_name: str, input_tokens: int, output_tokens: int) -> Decimal:
    """What a call of this size would cost on `model_name` (0 for unknown or non-token pricing)."""
    model = model_get(name=model_name)
    if model is None:
        return Decimal(0)
    return cost_of(model, ProviderResponse(output=None, input_tokens=input_tokens, output_tokens=output_tokens))


def breaker_name(model: ModelSpec) -> str:
    """Self-hosted deployments fail independently; cloud providers fail as a whole."""
    return f"self_hosted:{model.name}" if model.provider == "self_hosted" else model.provider


def _skip_reason(plan: RoutePlan, model: ModelSpec | None) -> str | None:
    if model is None or not model.enabled or not model.provider_enabled:
        return "not_configured"
    if model.provider == DETERMINISTIC:
        return None
    if plan.skip_models:
        return "budget"
    if plan.allowed_providers and model.provider not in plan.allowed_providers:
        return "residency"
    adapter = adapter_for(model.provider)
    if plan.eu_only and not eu_resident(provider=model.provider, adapter=adapter, context=plan.context,
                                        fallback=model.regions):
        return "residency"
    if adapter is None or not adapter.is_configured(model.name):
        return "not_configured"
    return None


def repair_prompt(user_prompt: str | None, errors: list[str]) -> str:
    listed = "\n".join(f"- {error}" for error in errors[:10])
    return (f"{user_prompt or ''}\n\nYour previous answer did not match the required JSON Schema:\n{listed}\n"
            "Answer again with only a JSON object valid against the schema.")


class _Walk:
    """One walk of the chain: the attempts so far, the deadline, the time spent in providers."""

    def __init__(self, plan: RoutePlan, validate: OutputValidator, screen: OutputScreen,
                 breakers: CircuitBreakers | None, check: AnswerCheck | None = None):
        self.plan, self.validate, self.screen, self.breakers = plan, validate, screen, breakers
        self.check = check
        self.started = time.perf_counter()
        self.deadline = self.started + plan.deadline_seconds
        self.attempts: list[Attempt] = []
        self.provider_seconds = 0.0
        self.last_call_seconds = 0.0

    def call(self, model: ModelSpec, user_prompt: str | None, timeout: float) -> tuple[ProviderResponse, float]:
        request = ProviderRequest(
            capability_id=self.plan.capability_id, model=model.name, system_prompt=self.plan.system_prompt,
            user_prompt=user_prompt, payload=self.plan.payload, output_schema=self.plan.output_schema,
            max_output_tokens=self.plan.max_output_tokens, temperature=self.plan.temperature,
            timeout_seconds=timeout, context=self.plan.context,
        )
        started = time.perf_counter()
        try:
            return adapter_for(model.provider).complete(request), time.perf_counter() - started
        finally:
            self.last_call_seconds = time.perf_counter() - started
            if model.provider != DETERMINISTIC:  # the fallback runs in-process: it is gateway time
                self.provider_seconds += self.last_call_seconds
                timing.add_provider_time(self.last_call_seconds * 1000)

    def judge(self, response: ProviderResponse, model: ModelSpec) -> tuple[object, list[str]]:
        try:
            output = parse_json_output(response.output)
        except (json.JSONDecodeError, TypeError):
            return None, ["the answer is not JSON"]
        errors = self.validate(output)
        if not errors and self.check is not None and model.provider != DETERMINISTIC:
            errors = self.check(output)
        return output, errors

    def remaining(self) -> float:
        return self.deadline - time.perf_counter() - DETERMINISTIC_RESERVE_SECONDS

    def try_model(self, model: ModelSpec) -> RouteResult | None:
        timeout = min(self.plan.timeout_seconds, self.remaining())
        if model.provider != DETERMINISTIC and timeout < MIN_ATTEMPT_SECONDS:
            self.attempts.append(Attempt(model.provider, model.name, "timeout", 0, "request deadline reached"))
            return None
        try:
            response, elapsed = self.call(model, self.plan.user_prompt, timeout)
        except ProviderError as exc:
            self._failed(model, exc)
            return None
        attempt = Attempt(model.provider, model.name, "ok", round(elapsed * 1000))
        self.attempts.append(attempt)
        self._succeeded(model)
        output, errors = self.judge(response, model)
        repaired = False
        if errors and model.provider != DETERMINISTIC and self.remaining() >= MIN_ATTEMPT_SECONDS:
            response, output, errors = self._repair(model, errors, response, output)
            repaired = not errors
        if errors:
            attempt.outcome, attempt.detail = "schema_invalid", errors[0][:200]
            if model.provider == DETERMINISTIC:
                logger.error("deterministic fallback produced invalid output",
                             extra={"capability": self.plan.capability_id})
            return None
        if self.screen(output, response.safety) == "block":
            attempt.outcome = "blocked"
            return None
        return RouteResult(
            output=output, provider=model.provider, model=model.name, attempts=self.attempts,
            input_tokens=response.input_tokens, output_tokens=response.output_tokens,
            cost_usd=cost_of(model, response), provider_ms=self.provider_seconds * 1000,
            repaired=repaired,
        )

    def _repair(self, model: ModelSpec, errors: list[str], response: ProviderResponse, output: object):
        """One repair attempt: the same model, told what was wrong."""
        try:
            repaired, _ = self.call(model, repair_prompt(self.plan.user_prompt, errors),
                                    min(self.plan.timeout_seconds, self.remaining()))
        except ProviderError:
            return response, output, errors
        repaired.input_tokens += response.input_tokens
        repaired.output_tokens += response.output_tokens
        new_output, new_errors = self.judge(repaired, model)
        return repaired, new_output, new_errors

    def _failed(self, model: ModelSpec, exc: ProviderError) -> None:
        outcome = "timeout" if exc.kind == "timeout" else "error"
        self.attempts.append(Attempt(model.provider, model.name, outcome, round(self.last_call_seconds * 1000),
                                     exc.kind))
        if self.breakers is not None and exc.kind not in NOT_BREAKER_FAILURES:
            self.breakers.record_failure(breaker_name(model))

    def _succeeded(self, model: ModelSpec) -> None:
        if self.breakers is not None and model.provider != DETERMINISTIC:
            self.breakers.record_success(breaker_name(model))

    def circuit_open(self, model: ModelSpec) -> bool:
        if self.breakers is None or model.provider == DETERMINISTIC:
            return False
        if self.breakers.allow(breaker_name(model)):
            return False
        self.attempts.append(Attempt(model.provider, model.name, "circuit_open"))
        return True


class ChainExhausted(RuntimeError):
    """No model in the chain gave an answer, the deterministic fallback included. Only output
    moderation can do that to the fallback (`blocked`); anything else is a defect."""

    def __init__(self, capability_id: str, attempts: list[Attempt]):
        super().__init__(f"the chain of {capability_id} produced no answer: {[a.as_dict() for a in attempts]}")
        self.attempts = attempts

    @property
    def blocked(self) -> bool:
        return any(attempt.outcome == "blocked" for attempt in self.attempts)


def route(plan: RoutePlan, *, validate: OutputValidator, screen: OutputScreen,
          breakers: CircuitBreakers | None = None, check: AnswerCheck | None = None) -> RouteResult:
    """`check`: the capability's own checks of a model's answer against the request; a failing
    answer is repaired once, then the chain moves on, as for a schema violation."""
    walk = _Walk(plan, validate, screen, breakers, check)
    for name in plan.chain:
        model = model_get(name=name)
        skip = _skip_reason(plan, model)
        if skip is not None:
            walk.attempts.append(Attempt(model.provider if model else "unknown", name, skip))
            continue
        if walk.circuit_open(model):
            continue
        result = walk.try_model(model)
        if result is not None:
            result.decision_ms = (time.perf_counter() - walk.started) * 1000 - result.provider_ms
            return result
    raise ChainExhausted(plan.capability_id, walk.attempts)
