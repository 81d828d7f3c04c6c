"""POST /api/v1/ai/complete: the one path a request takes (ARCHITECTURE.md, seed 001 §6).

`complete` lists the steps in order; each is a call into the app that owns it. The view has
already done step 1's authentication, bound the tenant to the request's transaction (row-level
security) and validated the envelope; everything here runs inside that transaction, so an error
anywhere leaves nothing half-written.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction

from budgets.services import Reservation, budget_release, budget_reserve, budget_settle
from capabilities import cache, guardrails, idempotency, recording
from capabilities.errors import CapabilityUnknown, InputSchemaViolation, RateLimited
from capabilities.guardrails.provider_moderation import gemini_verdict
from capabilities.hashing import canonical_json, sha256_of
from capabilities.selectors import CapabilitySpec, capability_get
from capabilities.validation import schema_errors
from hitl.services import gate_summary, hitl_gate_open
from melmastoon_ai.errors import ApplicationError, envelope
from melmastoon_ai.ratelimit import RateLimiter
from melmastoon_ai.tenancy.models import Tenant
from prompts.rendering import RenderedPrompt, render
from prompts.selectors import PromptVersionSpec, prompt_version_for
from rag.selectors import faq_entries_for
from routing.breakers import BreakerConfig, CircuitBreakers
from routing.moderation import provider_moderators
from routing.providers.base import RequestContext
from routing.router import ChainExhausted, RoutePlan, RouteResult, cost_of_tokens, route
from routing.services import routing_decision_record


@dataclass(frozen=True)
class CompletionRequest:
    capability: str
    input: dict
    context: dict
    request_id: str
    idempotency_key: str | None = None

    @property
    def feature(self) -> str:
        return str(self.context.get("feature") or "")

    @property
    def locale(self) -> str:
        return str(self.context.get("locale") or "en")

    def request_hash(self) -> str:
        return sha256_of({"capability": self.capability, "input": self.input, "context": self.context})


@dataclass(frozen=True)
class EvalMode:
    """An evaluation call (evals/services/runs.py): the version under test is used instead of the
    active one or the tenant's canary, `model` (when set) replaces the chain by itself and the
    deterministic fallback, the response cache is neither read nor written, no HITL gate opens,
    no `suggestion.*` event goes out, and a spent budget is an error rather than a silent
    deterministic answer."""

    prompt: PromptVersionSpec | None
    model: str = ""


class EvalBudgetSpent(ApplicationError):
    status = 402
    code = "budget_exhausted"


@dataclass
class CompletionOutcome:
    body: dict
    status: int = 200
    replayed: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def complete(request: CompletionRequest, *, tenant: Tenant, eval_mode: EvalMode | None = None) -> CompletionOutcome:
    started = time.perf_counter()
    # 1. rate limit per (tenant, feature); a repeated idempotent call returns what it returned before
    check_rate_limit(tenant, request.feature)
    replayed = replay_if_repeated(request, tenant)
    if replayed is not None:
        return replayed
    # 2. catalog: the capability and its input schema
    capability = load_capability(request.capability)
    check_input(capability, request.input)
    # 3. pre-call guardrails: moderate the input (block harm_high), redact PII from all that follows
    screened = screen(request, tenant, capability)
    if screened.verdict == "block":
        return refuse_blocked_input(request, tenant, capability, screened)
    # 5. prompt: pin the version (active or the tenant's canary) and assemble it
    context = request_context(tenant, request, capability)
    prompt = eval_mode.prompt if eval_mode else pin_prompt(capability, tenant)
    rendered = render_prompt(prompt, capability, screened.payload, request.locale, context)
    # 6. cache: per tenant, per capability and prompt version, by the redacted input
    input_hash = sha256_of({"input": screened.payload, "locale": request.locale})
    cache_key = cache.response_cache_key(
        tenant_id=str(tenant.id), capability_id=capability.id, capability_version=capability.version,
        prompt_version=prompt.version if prompt else "", input_hash=input_hash,
    )
    use_cache = tenant.cache_enabled and capability.cache_ttl_seconds and eval_mode is None
    cached = cache.cache_get(cache_key) if use_cache else None
    # 4. budget (after the cache: a hit costs nothing and always passes): reserve the estimate on
    #    the tenant's and the feature's budgets; past the hard cap the models are skipped
    reservation = None if cached else reserve_budget(tenant, request, capability, rendered, screened.payload)
    if eval_mode is not None and reservation is not None and reservation.skip_models:
        raise EvalBudgetSpent("the eval budget is spent: evaluation stops rather than score the fallback")
    # 7. route: walk the chain; 8. post-call: output schema (one repair), output moderation
    plan = plan_route(capability, prompt, rendered, screened.payload, context, spent=_ms_since(started) / 1000,
                      skip_models=bool(reservation and reservation.skip_models),
                      model=eval_mode.model if eval_mode else "")
    try:
        result = recording.result_from_cache(cached) if cached else walk_chain(plan, capability, screened, tenant)
    except ChainExhausted as exhausted:
        if not exhausted.blocked:
            raise
        return withhold_blocked_answer(request, tenant, capability, screened, reservation)
    # 9. persist and emit, in this transaction: record, usage fact, routing decision, outbox events
    record = recording.inference_record_create(
        tenant=tenant, request=request, capability=capability, prompt=prompt, result=result,
        screened=screened, input_hash=input_hash, cache_hit=cached is not None,
        latency_ms=_ms_since(started), overhead_ms=_ms_since(started) - result.provider_ms,
        suggestion=eval_mode is None,
    )
    if cached is None:
        remember_route(tenant, record, plan, result, cache_key, capability, cache_write=eval_mode is None)
    # 8 (continued). human review: open a gate when the capability's rule asks for one (not for evals)
    gate = open_gate_if_required(tenant, record, capability) if eval_mode is None else None
    if reservation is not None and not reservation.skip_models:
        budget_settle(reservation=reservation, inference_id=record.id,
                      tokens=record.input_tokens + record.output_tokens, cost_usd=record.cost_usd)
    return respond(request, tenant, record, screened, gate)


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def screen(request: CompletionRequest, tenant: Tenant,
           capability: CapabilitySpec | None = None) -> guardrails.ScreenedInput:
    """Moderation (local, plus providers the residency rules allow) and redaction of the input.
    Without a capability (an idempotent replay re-deriving its mapping) only the local checks run."""
    extra = provider_moderators(
        eu_only=tenant.data_residency == Tenant.Residency.EU_ONLY, allowed_providers=capability.allowed_providers,
        breakers=circuit_breakers(), thresholds=tenant.moderation_thresholds,
    ) if capability is not None else ()
    return guardrails.screen_input(request.input, locale=request.locale, country=tenant.country or None,
                                   thresholds=tenant.moderation_thresholds or None, extra_moderators=extra)


def replay_if_repeated(request: CompletionRequest, tenant: Tenant) -> CompletionOutcome | None:
    """The stored answer of an earlier call with this Idempotency-Key and body, if any."""
    if not request.idempotency_key:
        return None
    stored = idempotency.idempotency_claim(tenant_id=tenant.id, key=request.idempotency_key,
                                           request_hash=request.request_hash())
    if stored is None:
        return None
    body = recording.with_restored_output(stored.response, screen(request, tenant).mapping)
    return CompletionOutcome(body=body, status=stored.status_code, replayed=True)


def refuse_blocked_input(request: CompletionRequest, tenant: Tenant, capability: CapabilitySpec,
                         screened: guardrails.ScreenedInput) -> CompletionOutcome:
    """422 content_blocked, recorded (committed, not rolled back); nothing is sent to a model."""
    flagged = recording.moderation_block_create(tenant=tenant, request=request, capability=capability,
                                                screened=screened)
    body = envelope("content_blocked", "The input was blocked by content moderation.",
                    {"categories": flagged})
    return CompletionOutcome(body=body, status=422)


def withhold_blocked_answer(request: CompletionRequest, tenant: Tenant, capability: CapabilitySpec,
                            screened: guardrails.ScreenedInput, reservation: Reservation | None) -> CompletionOutcome:
    """Output moderation blocked every answer, the fixed fallback included (it repeats parts of
    the input): 422 content_blocked, recorded like an input block; the reservation is given back."""
    if reservation is not None and not reservation.skip_models:
        budget_release(reservation=reservation)
    recording.moderation_block_create(tenant=tenant, request=request, capability=capability, screened=screened,
                                      stage="output")
    body = envelope("content_blocked", "The answer was withheld: content moderation blocked every answer.",
                    {"stage": "output"})
    return CompletionOutcome(body=body, status=422)


def remember_route(tenant: Tenant, record, plan: RoutePlan, result: RouteResult, cache_key: str,
                   capability: CapabilitySpec, *, cache_write: bool = True) -> None:
    routing_decision_record(tenant_id=tenant.id, inference_id=record.id, capability_id=capability.id,
                            chain=plan.chain, result=result)
    if tenant.cache_enabled and cache_write:
        ttl = cache.cache_ttl(capability_ttl=capability.cache_ttl_seconds, degraded=result.degraded)
        snapshot = recording.cache_snapshot(result)
        transaction.on_commit(lambda: cache.cache_put(cache_key, snapshot, ttl_seconds=ttl))


def open_gate_if_required(tenant: Tenant, record, capability: CapabilitySpec) -> dict | None:
    reason = capability.hitl.requires_gate(record.output)
    if reason is None:
        return None
    gate = hitl_gate_open(tenant_id=tenant.id, inference=record, capability_id=capability.id,
                          hitl_rule=capability.hitl_rule, reason=reason, draft_output=record.output)
    return gate_summary(gate)


def respond(request: CompletionRequest, tenant: Tenant, record, screened: guardrails.ScreenedInput,
            gate: dict | None = None) -> CompletionOutcome:
    """Stored: the redacted answer. Returned: the same with the caller's own values put back."""
    stored = recording.response_body(record, gate)
    if request.idempotency_key:
        idempotency.idempotency_store(tenant_id=tenant.id, key=request.idempotency_key,
                                      request_hash=request.request_hash(), status_code=200, response=stored)
    return CompletionOutcome(body=recording.with_restored_output(stored, screened.mapping))


def reserve_budget(tenant: Tenant, request: CompletionRequest, capability: CapabilitySpec,
                   rendered: RenderedPrompt | None, payload: dict) -> Reservation | None:
    """Prompt tokens (about 4 characters a token) plus the capability's maximum output, priced at
    the dearest model of the chain: an upper bound, settled to the actual usage after the call."""
    prompt_text = f"{rendered.system}{rendered.user}" if rendered else canonical_json(payload)
    prompt_tokens = len(prompt_text) // 4 + 1
    tokens = prompt_tokens + capability.max_output_tokens
    cost = max((cost_of_tokens(name, prompt_tokens, capability.max_output_tokens) for name in capability.chain),
               default=Decimal(0))
    return budget_reserve(tenant_id=tenant.id, feature=request.feature, tokens=tokens, cost_usd=cost)


def check_rate_limit(tenant: Tenant, feature: str) -> None:
    decision = RateLimiter().hit(tenant_id=str(tenant.id), feature=feature, per_minute=tenant.rate_limit_per_minute)
    if not decision.allowed:
        raise RateLimited(
            f"Rate limit of {tenant.rate_limit_per_minute}/min for feature {feature or '-'!r} reached.",
            details={"feature": feature, "limit_per_minute": tenant.rate_limit_per_minute},
            headers={"Retry-After": str(decision.retry_after_seconds)},
        )


def load_capability(capability_id: str) -> CapabilitySpec:
    capability = capability_get(capability_id=capability_id)
    if capability is None:
        raise CapabilityUnknown(f"No capability {capability_id!r}.", details={"capability": capability_id})
    return capability


def check_input(capability: CapabilitySpec, payload: dict) -> None:
    errors = schema_errors(capability.input_schema, payload, key=(capability.id, capability.version, "input"))
    if errors:
        raise InputSchemaViolation(f"input does not match the input schema of {capability.id} {capability.version}.",
                                   details={"errors": errors})


def request_context(tenant: Tenant, request: CompletionRequest, capability: CapabilitySpec) -> RequestContext:
    return RequestContext(
        tenant_id=str(tenant.id), tenant_region=tenant.region, tenant_country=tenant.country,
        locale=request.locale, feature=request.feature, offline=bool(request.context.get("offline")),
        eu_only=tenant.data_residency == Tenant.Residency.EU_ONLY,
        faq_entries=faq_entries_for(tenant_id=tenant.id) if capability.uses_rag else (),
    )


def pin_prompt(capability: CapabilitySpec, tenant: Tenant) -> PromptVersionSpec | None:
    if capability.prompt_key is None:
        return None
    return prompt_version_for(tenant_id=tenant.id, prompt_key=capability.prompt_key)


def render_prompt(prompt: PromptVersionSpec | None, capability: CapabilitySpec, payload: dict, locale: str,
                  context: RequestContext) -> RenderedPrompt | None:
    if prompt is None:
        return None
    retrieved = "\n".join(f"- Q: {entry.question}\n  A: {entry.answer}" for entry in context.faq_entries[:20])
    values: dict[str, Any] = {
        "input_json": canonical_json(payload), "locale": locale,
        "output_schema_json": canonical_json(capability.output_schema), "context": retrieved or "(none)",
    }
    return render(system_template=prompt.system_template, user_template=prompt.user_template,
                  variables=list(prompt.variables), values={name: values[name] for name in prompt.variables})


def walk_chain(plan: RoutePlan, capability: CapabilitySpec, screened: guardrails.ScreenedInput,
               tenant: Tenant) -> RouteResult:
    def validate(output: object) -> list[str]:
        errors = schema_errors(capability.output_schema, output, key=(capability.id, capability.version, "output"))
        return [error["message"] for error in errors]

    def screen_output(output: dict, safety: dict) -> str:
        # Judge what the caller would see; the caller's own values are not a leak.
        restored = guardrails.restore_output(output, screened.mapping)
        thresholds = tenant.moderation_thresholds or None
        return guardrails.screen_output(restored, locale=plan.context.locale, country=tenant.country or None,
                                        allowed_values=screened.mapping.values(), thresholds=thresholds,
                                        extra_verdicts=[gemini_verdict(safety, thresholds=thresholds)])

    return route(plan, validate=validate, breakers=circuit_breakers(), screen=screen_output)


@functools.lru_cache(maxsize=1)
def circuit_breakers() -> CircuitBreakers:
    return CircuitBreakers(BreakerConfig(failure_threshold=settings.BREAKER_FAILURE_THRESHOLD,
                                         cooldown_seconds=settings.BREAKER_COOLDOWN_SECONDS))


def plan_route(capability: CapabilitySpec, prompt: PromptVersionSpec | None, rendered: RenderedPrompt | None,
               payload: dict, context: RequestContext, *, spent: float = 0.0, skip_models: bool = False,
               model: str = "") -> RoutePlan:
    """`spent`: seconds this request already used (moderation, lookups); the deadline is for the whole request.
    `model` (evals): that model alone, then the deterministic fallback."""
    chain = capability.chain
    if model:
        chain = tuple(dict.fromkeys((model, "deterministic")))
    if context.offline and capability.offline_model:
        chain = (capability.offline_model, *[name for name in chain if name != capability.offline_model])
    parameters = prompt.model_parameters if prompt else {}
    return RoutePlan(
        capability_id=capability.id, chain=chain, allowed_providers=capability.allowed_providers,
        eu_only=context.eu_only, system_prompt=rendered.system if rendered else None,
        user_prompt=rendered.user if rendered else None, payload=payload, output_schema=capability.output_schema,
        max_output_tokens=int(parameters.get("max_output_tokens", capability.max_output_tokens)),
        temperature=float(parameters.get("temperature", 0.2)),
        timeout_seconds=min(capability.latency_target_ms / 1000, settings.PROVIDER_TIMEOUT_CAP_SECONDS),
        deadline_seconds=min(capability.latency_target_ms / 1000 + settings.ROUTER_DEADLINE_MARGIN_SECONDS,
                             settings.REQUEST_DEADLINE_CAP_SECONDS) - spent,
        context=context, skip_models=skip_models,
    )

