"""Walk a capability's fallback chain until a provider gives a valid, allowed answer (step 7).

The chain always ends in `deterministic`, which never fails, so `route` always returns an
answer. Every attempt is recorded with its outcome: ok, error, timeout, circuit_open,
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
from routing.providers.base import ProviderError, ProviderRequest, ProviderResponse, RequestContext
from routing.providers.registry import adapter_for
from routing.selectors import ModelSpec, model_get

logger = logging.getLogger(__name__)
DETERMINISTIC = "deterministic"
MILLION = Decimal(1_000_000)
OutputValidator = Callable[[object], list[str]]  # returns the schema errors, empty when valid
OutputScreen = Callable[[dict], str]  # returns "allow" or "block"


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
    timeout_seconds: float
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


IN_HOUSE_PROVIDERS = frozenset({"edge", "deterministic", "self_hosted"})  # data stays on our infrastructure


def _processes_in_eu(model: ModelSpec) -> bool:
    return model.provider in IN_HOUSE_PROVIDERS or any(
        region == "eu" or region.startswith("europe-") for region in model.regions
    )


def _skip_reason(plan: RoutePlan, model: ModelSpec | None) -> str | None:
    if model is None or not model.enabled or not model.provider_enabled:
        return "not_configured"
    if model.provider == DETERMINISTIC:
        return None
    if plan.skip_models:
        return "budget"
    if plan.allowed_providers and model.provider not in plan.allowed_providers:
        return "residency"
    if plan.eu_only and not _processes_in_eu(model):
        return "residency"
    adapter = adapter_for(model.provider)
    if adapter is None or not adapter.is_configured():
        return "not_configured"
    return None


def _call(plan: RoutePlan, model: ModelSpec) -> ProviderResponse:
    request = ProviderRequest(
        capability_id=plan.capability_id, model=model.name, system_prompt=plan.system_prompt,
        user_prompt=plan.user_prompt, payload=plan.payload, output_schema=plan.output_schema,
        max_output_tokens=plan.max_output_tokens, temperature=plan.temperature,
        timeout_seconds=plan.timeout_seconds, context=plan.context,
    )
    return adapter_for(model.provider).complete(request)


def route(plan: RoutePlan, *, validate: OutputValidator, screen: OutputScreen) -> RouteResult:
    attempts: list[Attempt] = []
    provider_seconds = 0.0
    for name in plan.chain:
        model = model_get(name=name)
        provider = model.provider if model else "unknown"
        skip = _skip_reason(plan, model)
        if skip is not None:
            attempts.append(Attempt(provider, name, skip))
            continue
        started = time.perf_counter()
        try:
            response = _call(plan, model)
        except ProviderError as exc:
            elapsed = time.perf_counter() - started
            provider_seconds += elapsed
            timing.add_provider_time(elapsed * 1000)
            outcome = "timeout" if exc.kind == "timeout" else "error"
            attempts.append(Attempt(provider, name, outcome, round(elapsed * 1000), exc.kind))
            continue
        elapsed = time.perf_counter() - started
        if provider != DETERMINISTIC:  # the deterministic fallback runs in-process: gateway time
            provider_seconds += elapsed
            timing.add_provider_time(elapsed * 1000)
        attempt = Attempt(provider, name, "ok", round(elapsed * 1000))
        attempts.append(attempt)
        try:
            output = parse_json_output(response.output)
        except (json.JSONDecodeError, TypeError):
            attempt.outcome, attempt.detail = "schema_invalid", "not JSON"
            continue
        errors = validate(output)
        if errors:
            attempt.outcome, attempt.detail = "schema_invalid", errors[0][:200]
            if provider == DETERMINISTIC:
                logger.error("deterministic fallback produced invalid output", extra={"capability": plan.capability_id})
            continue
        if screen(output) == "block":
            attempt.outcome = "blocked"
            continue
        return RouteResult(
            output=output, provider=provider, model=name, attempts=attempts,
            input_tokens=response.input_tokens, output_tokens=response.output_tokens,
            cost_usd=cost_of(model, response), provider_ms=provider_seconds * 1000,
            repaired=isinstance(response.output, str),
        )
    raise RuntimeError(f"the chain of {plan.capability_id} produced no answer: {[a.as_dict() for a in attempts]}")
