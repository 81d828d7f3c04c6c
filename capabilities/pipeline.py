"""POST /api/v1/ai/complete: the one path a request takes (ARCHITECTURE.md, seed 001 §6).

`complete` lists the steps in order; each is a call into the app that owns it. The view has
already authenticated the caller (step 1) and validated the envelope. The steps run in three
phases, so that nothing is held while the request waits on a model:

1. *prepare*: the idempotency claim (committed in a short transaction of its own, so a concurrent
   duplicate sees it), local screening, the prompt pin, retrieval, the cache read and the budget
   reservation (Redis). It reads cached registry data (catalog, prompts, budgets, periods) and opens
   a short tenant transaction only where it must read or write the database (retrieval, a cached
   answer's gate, a blocked input's record, a budget period's first use);
2. *call*, with no transaction open and the connection given back to the pool: provider
   moderation and the router, which read only cached registry data;
3. *persist*, in a second short tenant transaction: record, usage fact, routing decision, gate,
   ledger, outbox events; the Redis counters and the response cache are written after it
   commits. Any failure after the reservation gives it back, and the idempotency claim with it.
"""

from __future__ import annotations

import functools
import time
import uuid
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, TypedDict, cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import guardrails
from budgets.services import Reservation, budget_release, budget_reserve, budget_settle
from capabilities import auxiliary, cache, idempotency, recording, retrieval, semantics
from capabilities.errors import CapabilityUnknown, ContentBlocked, InputSchemaViolation, RateLimited
from capabilities.hashing import canonical_json, sha256_of
from capabilities.selectors import CapabilitySpec, capability_get
from capabilities.stages import second_stage
from capabilities.trail import decision_trail
from guardrails.provider_moderation import gemini_verdict
from hitl.models import HitlGate
from hitl.selectors import decided_output, gate_for_inference
from hitl.services import (
    MODERATION_REVIEW_GROUP,
    MODERATION_REVIEW_SLA_MINUTES,
    gate_summary,
    hitl_gate_open,
)
from melmastoon_ai import subjects
from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.observability.tracing import current_trace_id
from melmastoon_ai.ratelimit import RateLimiter
from melmastoon_ai.rows import insert_rows
from melmastoon_ai.schema_validation import schema_errors
from melmastoon_ai.tenancy.context import release_connection, tenant_context
from melmastoon_ai.tenancy.models import Tenant
from prompts.rendering import RenderedPrompt, render
from prompts.selectors import PromptVersionSpec, prompt_version_for
from routing.breakers import BreakerConfig, CircuitBreakers
from routing.flags import providers_switched_off
from routing.media import without_media
from routing.moderation import provider_moderators
from routing.providers.base import RequestContext
from routing.router import ChainExhausted, RoutePlan, RouteResult, cost_of_tokens, route
from routing.selectors import model_get
from routing.services import routing_decision_row


class CacheDirectives(TypedDict):
    """`Cache-Control` request directives that bear on the response cache (capabilities/apis.py)."""

    no_cache: bool
    no_store: bool


@dataclass(frozen=True)
class CompletionRequest:
    capability: str
    input: dict
    context: dict
    request_id: str
    idempotency_key: str | None = None
    no_cache: bool = False  # Cache-Control: no-cache: skip the response-cache read (the answer is still cached)
    no_store: bool = False  # Cache-Control: no-store: neither read nor write the response cache
    inference_id: uuid.UUID | None = None  # Prefer: respond-async: the id the caller was given at 202
    rate_limit_checked: bool = False  # Prefer: respond-async: counted when the request was accepted

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


@dataclass
class Prepared:
    """What the prepare phase decided; the call and persist phases act on it."""

    capability: CapabilitySpec
    screened: guardrails.ScreenedInput
    claim_id: int | None = None  # the idempotency record this call holds
    prompt: PromptVersionSpec | None = None
    rendered: RenderedPrompt | None = None
    plan: RoutePlan | None = None
    input_hash: str = ""
    cache_key: str = ""
    cached: dict | None = None
    reservation: Reservation | None = None
    blocked_stage: str = ""  # "input" or "output" when moderation refused the request
    earlier_gate: HitlGate | None = None  # the gate of the answer a cache hit repeats
    retrieval: retrieval.Retrieval = retrieval.NONE  # step 5's passages (capabilities that use RAG)
    subject_digests: list[str] = field(default_factory=list)  # who the input is about, salted (privacy)

    @property
    def charged(self) -> bool:
        return self.reservation is not None and not self.reservation.skip_models


def complete(request: CompletionRequest, *, tenant: Tenant, eval_mode: EvalMode | None = None) -> CompletionOutcome:
    started = time.perf_counter()
    # -- prepare (steps 1 to 6): short transactions, none left open ---------------------------------
    prepared = begin(request, tenant, eval_mode, started)
    if isinstance(prepared, CompletionOutcome):  # an idempotent repeat: what the first call returned
        return prepared
    try:
        # -- call: no transaction, no connection -----------------------------------------------
        result = call(prepared, tenant)
        # -- persist: the second short tenant transaction ----------------------------------------
        return finish(prepared, request, tenant, result, started, eval_mode)
    except BaseException:
        abandon(prepared, tenant)
        raise


def begin(
    request: CompletionRequest, tenant: Tenant, eval_mode: EvalMode | None, started: float
) -> Prepared | CompletionOutcome:
    """The prepare phase, with the connection given back at its end: what the call phase acts on,
    or the stored answer of an idempotent repeat. Shared by `complete` and the streamed path
    (capabilities/streaming.py), which runs the same phases."""
    # 1. rate limit per tenant and per (tenant, feature)
    if not request.rate_limit_checked:
        check_rate_limit(tenant, request.feature)
    # 2. catalog: the capability and its input schema (cached reads, before any transaction)
    capability = load_capability(request.capability)
    check_input(capability, request.input)
    # an idempotent repeat returns what the first call returned (waiting for it if it still runs)
    claim = claim_idempotency_key(request, tenant, started)
    if claim is not None and claim.stored is not None:
        return replay_stored(request, tenant, claim.stored)
    prepared = Prepared(
        capability=capability,
        screened=guardrails.ScreenedInput(payload={}),
        claim_id=claim.record_id if claim else None,
    )
    try:
        prepare(prepared, request, tenant, eval_mode, started)
        release_connection()
        if prepared.blocked_stage:
            raise blocked_error(prepared)
    except BaseException:
        abandon(prepared, tenant)
        raise
    return prepared


def finish(
    prepared: Prepared,
    request: CompletionRequest,
    tenant: Tenant,
    result: RouteResult | None,
    started: float,
    eval_mode: EvalMode | None,
) -> CompletionOutcome:
    """The persist phase; the caller abandons `prepared` if this raises."""
    with tenant_context(tenant.id):
        outcome = persist(prepared, request, tenant, result, started, eval_mode)
    if outcome is None:
        raise blocked_error(prepared)
    # committed: the reservation is settled by the commit and the key holds the stored answer
    prepared.reservation, prepared.claim_id = None, None
    return outcome


def prepare(
    prepared: Prepared, request: CompletionRequest, tenant: Tenant, eval_mode: EvalMode | None, started: float
) -> None:
    capability = prepared.capability
    # 3. pre-call guardrails, local part: moderate the input (block harm_high), redact PII from all that follows
    prepared.screened = screen(request, tenant)
    if prepared.screened.verdict == "block":
        with tenant_context(tenant.id):
            recording.moderation_block_create(
                tenant=tenant, request=request, capability=capability, screened=prepared.screened
            )
        prepared.blocked_stage = "input"
        return
    # 5. prompt: pin the version (active or the tenant's canary), retrieve, assemble
    prepared.retrieval = retrieval.retrieve(tenant, capability, prepared.screened.payload, request.locale)
    context = request_context(tenant, request, capability, passages=prepared.retrieval.passages)
    prepared.prompt = eval_mode.prompt if eval_mode else pin_prompt(capability, tenant)
    rendered = prepared.rendered = render_prompt(
        prepared.prompt, capability, prepared.screened.payload, request.locale, context
    )
    # 6. cache: per tenant, per capability and prompt version, by the redacted input
    prepared.input_hash = sha256_of({"input": prepared.screened.payload, "locale": request.locale})
    prepared.cache_key = cache.response_cache_key(
        tenant_id=str(tenant.id),
        capability_id=capability.id,
        capability_version=capability.version,
        prompt_version=prepared.prompt.version if prepared.prompt else "",
        input_hash=prepared.input_hash,
    )
    if cache_readable(tenant, capability, request, eval_mode):
        prepared.cached = cache.cache_get(prepared.cache_key)
        prepared.earlier_gate = gate_of_cached_answer(tenant, prepared.cached)
        if prepared.earlier_gate is not None and prepared.earlier_gate.status in REFUSED_GATES:
            prepared.cached = prepared.earlier_gate = None  # a reviewer refused that answer: ask again
    if prepared.cached is not None:
        return
    # 4. budget (after the cache: a hit costs nothing and always passes): reserve the estimate on
    #    the tenant's and the feature's budgets; past the hard cap the models are skipped
    prepared.reservation = reserve_budget(tenant, request, capability, rendered, prepared.screened.payload)
    if eval_mode is not None and prepared.reservation is not None and prepared.reservation.skip_models:
        raise EvalBudgetSpent("the eval budget is spent: evaluation stops rather than score the fallback")
    prepared.plan = plan_route(
        capability,
        prepared.prompt,
        rendered,
        prepared.screened.payload,
        context,
        spent=_ms_since(started) / 1000,
        skip_models=bool(prepared.reservation and prepared.reservation.skip_models),
        model=eval_mode.model if eval_mode else "",
    )


def call(prepared: Prepared, tenant: Tenant) -> RouteResult | None:
    """Provider moderation of the redacted input, then the chain (steps 3, 7 and 8). None when
    moderation refused the input or every answer (`prepared.blocked_stage` says which)."""
    if prepared.cached is not None:
        return cached_result(prepared)
    plan = moderated_plan(prepared, tenant)
    if plan is None:
        return None
    walking = time.perf_counter()
    try:
        result = walk_chain(plan, prepared.capability, prepared.screened, tenant)
        # the explanation of a flagged verdict, the annotation of a route (capabilities/stages.py)
        result = second_stage(
            capability=prepared.capability,
            prompt=prepared.prompt,
            plan=plan,
            first=result,
            started=walking,
            breakers=circuit_breakers(),
            screen=answer_checks(plan, prepared.capability, prepared.screened, tenant)["screen"],
        )
    except ChainExhausted as exhausted:
        if not exhausted.blocked:
            raise
        prepared.blocked_stage = "output"
        return None
    finally:
        release_connection()  # a registry read the caches did not hold may have taken one
    return result


def cached_result(prepared: Prepared) -> RouteResult:
    """A cache hit as a result: the answer it repeats, or what a reviewer made of it."""
    result = recording.result_from_cache(prepared.cached)
    reviewed = decided_output(prepared.earlier_gate) if prepared.earlier_gate is not None else None
    if reviewed is not None:  # a reviewer approved (or edited) the answer this hit repeats
        result.output = reviewed
    return result


def moderated_plan(prepared: Prepared, tenant: Tenant) -> RoutePlan | None:
    """Provider moderation of the redacted input (step 3, outbound): the plan to walk, with what
    moderation took off its deadline, or None when it blocked the input. Then the input's media
    and the capability's pre-steps (capabilities/auxiliary.py), which render the prompt with what
    they read."""
    moderating = time.perf_counter()
    screened = moderate_with_providers(prepared.screened, tenant, prepared.capability, prepared.plan.context)
    prepared.screened = screened
    if screened.verdict == "block":
        prepared.blocked_stage = "input"
        return None
    # the deadline is the whole request's: what provider moderation took comes off the walk's
    planned = cast(RoutePlan, prepared.plan)  # planned in the prepare phase (a cache hit never gets here)
    plan = replace(planned, deadline_seconds=planned.deadline_seconds - (time.perf_counter() - moderating))
    return auxiliary.prepared_plan(
        plan, capability=prepared.capability, prompt=prepared.prompt, breakers=circuit_breakers()
    )


def persist(
    prepared: Prepared,
    request: CompletionRequest,
    tenant: Tenant,
    result: RouteResult | None,
    started: float,
    eval_mode: EvalMode | None,
) -> CompletionOutcome | None:
    """Step 9, in the second transaction: the record with its provenance, the usage fact, the
    routing decision, the HITL gate (8, continued), the ledger and the outbox events. A request that
    moderation refused in the call phase is recorded as a block instead (None)."""
    capability, cached = prepared.capability, prepared.cached is not None
    if result is None:
        recording.moderation_block_create(
            tenant=tenant,
            request=request,
            capability=capability,
            screened=prepared.screened,
            stage=prepared.blocked_stage,
        )
        return None
    trail = decision_trail(
        request_id=request.request_id,
        trace_id=current_trace_id(),
        capability=capability,
        prompt=prepared.prompt,
        rendered=prepared.rendered,
        plan=None if cached else prepared.plan,
        result=result,
        cached_from=str((prepared.cached or {}).get("inference_id", "")),
    )
    prepared.subject_digests = subject_digests_of(tenant, request, prepared.screened)
    record, rows = recording.inference_rows(
        tenant=tenant,
        request=request,
        capability=capability,
        prompt=prepared.prompt,
        result=result,
        screened=prepared.screened,
        input_hash=prepared.input_hash,
        cache_hit=cached,
        latency_ms=_ms_since(started),
        overhead_ms=_ms_since(started) - result.provider_ms,
        suggestion=eval_mode is None,
        trail=trail,
        subject_digests=prepared.subject_digests,
    )
    if prepared.retrieval.provenance is not None:
        record.provenance["retrieval"] = prepared.retrieval.provenance
    if not cached:
        rows.append(
            routing_decision_row(
                tenant_id=tenant.id,
                inference_id=record.id,
                capability_id=capability.id,
                chain=prepared.plan.chain,
                result=result,
                trail=trail,
            )
        )
    if prepared.charged:
        budget_settle(
            reservation=prepared.reservation,
            inference_id=record.id,
            tokens=record.input_tokens + record.output_tokens,
            cost_usd=record.cost_usd,
            into=rows,
        )
    insert_rows(rows)  # record, usage fact, events, routing decision, ledger: one round trip
    if eval_mode is not None:
        gate = None
    elif prepared.earlier_gate is not None:  # a repeat of a gated answer: that gate, not another one
        gate = gate_summary(prepared.earlier_gate)
    else:
        gate = open_gate_if_required(tenant, record, capability, prepared.screened)
    if not cached and cache_writable(tenant, capability, eval_mode) and not request.no_store:
        remember_answer(prepared, tenant, result, record.id, gated=gate is not None)
    return respond(prepared, request, tenant, record, gate)


def abandon(prepared: Prepared, tenant: Tenant) -> None:
    """The request failed or was refused after preparing: nothing it reserved stays held."""
    return_reservation(prepared)
    if prepared.claim_id is not None:
        idempotency.idempotency_release(tenant_id=tenant.id, record_id=prepared.claim_id)
        prepared.claim_id = None


def return_reservation(prepared: Prepared) -> None:
    if prepared.charged:
        budget_release(reservation=prepared.reservation)
    prepared.reservation = None


def blocked_error(prepared: Prepared) -> ContentBlocked:
    """422 content_blocked: the block is already recorded (committed); nothing went to a model."""
    if prepared.blocked_stage == "output":
        return ContentBlocked(
            "The answer was withheld: content moderation blocked every answer.", details={"stage": "output"}
        )
    flagged = {name: round(score.score, 4) for name, score in prepared.screened.categories.items() if score.flagged}
    return ContentBlocked("The input was blocked by content moderation.", details={"categories": flagged})


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def screen(request: CompletionRequest, tenant: Tenant) -> guardrails.ScreenedInput:
    """The local guardrails: moderation and redaction of the input, offline and in-process."""
    return guardrails.screen_input(
        request.input,
        locale=request.locale,
        country=tenant.country or None,
        thresholds=tenant.moderation_thresholds or None,
        review=tenant.moderation_review,
    )


def moderate_with_providers(
    screened: guardrails.ScreenedInput, tenant: Tenant, capability: CapabilitySpec, context: RequestContext
) -> guardrails.ScreenedInput:
    """Provider moderation (the providers the residency rules allow) of the redacted input only,
    combined with the local verdict. An outbound call: it runs in the call phase, holding nothing."""
    moderators = provider_moderators(
        eu_only=tenant.data_residency == Tenant.Residency.EU_ONLY,
        allowed_providers=capability.allowed_providers,
        breakers=circuit_breakers(),
        thresholds=tenant.moderation_thresholds,
        context=context,
    )
    if not moderators:
        return screened
    return guardrails.moderate_input_with(screened, moderators, locale=context.locale)


def claim_idempotency_key(request: CompletionRequest, tenant: Tenant, started: float) -> idempotency.Claim | None:
    """None without an Idempotency-Key; else this call's claim, or the stored answer of an earlier
    one (waiting, holding nothing, while a concurrent duplicate still runs)."""
    if not request.idempotency_key:
        return None
    lease = settings.REQUEST_DEADLINE_CAP_SECONDS + settings.ROUTER_DEADLINE_MARGIN_SECONDS
    arguments = {
        "tenant_id": tenant.id,
        "key": request.idempotency_key,
        "request_hash": request.request_hash(),
        "lease_seconds": lease,
    }
    with tenant_context(tenant.id):
        claim = idempotency.idempotency_claim(**arguments)
    release_connection()
    if claim.held_elsewhere:
        deadline = time.monotonic() + settings.REQUEST_DEADLINE_CAP_SECONDS - _ms_since(started) / 1000
        claim = idempotency.idempotency_wait(**arguments, deadline=deadline)
    return claim


def replay_stored(request: CompletionRequest, tenant: Tenant, stored) -> CompletionOutcome:
    """The stored answer of an earlier call with this key and body, the caller's values put back."""
    body = recording.with_restored_output(stored.response, screen(request, tenant).mapping)
    return CompletionOutcome(body=body, status=stored.status_code, replayed=True)


def cache_readable(
    tenant: Tenant, capability: CapabilitySpec, request: CompletionRequest, eval_mode: EvalMode | None
) -> bool:
    return cache_writable(tenant, capability, eval_mode) and not request.no_cache


def cache_writable(tenant: Tenant, capability: CapabilitySpec, eval_mode: EvalMode | None) -> bool:
    return bool(
        tenant.cache_enabled
        and capability.cache_ttl_seconds
        and eval_mode is None
        and cache.cache_switched_on(tenant_id=str(tenant.id))
    )


def remember_answer(prepared: Prepared, tenant: Tenant, result: RouteResult, inference_id, *, gated: bool) -> None:
    """The response cache is written once the answer's record has committed, listed under each
    subject the input named (an erasure deletes it through that index)."""
    ttl = cache.cache_ttl(capability_ttl=prepared.capability.cache_ttl_seconds, degraded=result.degraded)
    snapshot, key = recording.cache_snapshot(result, inference_id, gated=gated), prepared.cache_key
    tenant_id, digests = str(tenant.id), list(prepared.subject_digests)
    transaction.on_commit(
        lambda: cache.cache_put(key, snapshot, ttl_seconds=ttl, tenant_id=tenant_id, subject_digests=digests)
    )


def subject_digests_of(tenant: Tenant, request: CompletionRequest, screened: guardrails.ScreenedInput) -> list[str]:
    """The salted digests of who the input is about (melmastoon_ai/subjects.py): what an erasure
    finds the record, and its cached answer, by."""
    return subjects.digests_of_input(
        tenant_id=tenant.id,
        mapping=screened.mapping,
        subject_ref=request.context.get("subject_ref"),
        country=tenant.country or None,
    )


REFUSED_GATES = (HitlGate.Status.REJECTED, HitlGate.Status.EXPIRED)


def gate_of_cached_answer(tenant: Tenant, cached: dict | None) -> HitlGate | None:
    """The HITL gate the cached answer's own inference opened, if any."""
    if not cached or not cached.get("gated", True) or not cached.get("inference_id"):
        return None
    with tenant_context(tenant.id):
        return gate_for_inference(tenant_id=tenant.id, inference_id=cached["inference_id"])


def guest_names_of(screened: guardrails.ScreenedInput) -> dict[str, str]:
    """The guest names behind the input's `<NAME_n>` placeholders, which the reviewer page shows."""
    return {placeholder: value for placeholder, value in screened.mapping.items() if placeholder.startswith("<NAME_")}


def open_gate_if_required(
    tenant: Tenant, record, capability: CapabilitySpec, screened: guardrails.ScreenedInput
) -> dict | None:
    """A gate when the capability's rule asks for one, or when input moderation put a blocking
    category in its review band (a likely threat it was not sure enough to refuse: a human sees the
    answer before it is used, whatever the capability's rule)."""
    held = review_reason(screened)
    reason = held or capability.hitl.requires_gate(record.output)
    if reason is None:
        return None
    gate = hitl_gate_open(
        tenant_id=tenant.id,
        inference=record,
        capability_id=capability.id,
        capability_version=capability.version,
        output_schema=capability.output_schema,
        hitl_rule=capability.hitl_rule,
        reason=reason,
        draft_output=record.output,
        guest_names=guest_names_of(screened),
        reviewer_group=MODERATION_REVIEW_GROUP if held else None,
        sla_minutes=MODERATION_REVIEW_SLA_MINUTES if held else None,
    )
    return gate_summary(gate)


def review_reason(screened: guardrails.ScreenedInput) -> str | None:
    held = screened.held_for_review
    if not held:
        return None
    scores = ", ".join(f"{name} {screened.categories[name].score:.2f}" for name in held)
    return f"input moderation held the answer for review ({scores}: in the review band, not blocked)"


def respond(
    prepared: Prepared, request: CompletionRequest, tenant: Tenant, record, gate: dict | None = None
) -> CompletionOutcome:
    """Stored: the redacted answer. Returned: the same with the caller's own values put back."""
    stored = recording.response_body(record, gate)
    if prepared.claim_id is not None:
        idempotency.idempotency_complete(
            tenant_id=tenant.id, record_id=prepared.claim_id, status_code=200, response=stored
        )
    return CompletionOutcome(body=recording.with_restored_output(stored, prepared.screened.mapping))


def reserve_budget(
    tenant: Tenant,
    request: CompletionRequest,
    capability: CapabilitySpec,
    rendered: RenderedPrompt | None,
    payload: dict,
) -> Reservation | None:
    """Prompt tokens plus the capability's maximum output, priced at the dearest model of the chain:
    an upper bound, settled to the actual usage after the call."""
    prompt_text = f"{rendered.system}{rendered.user}" if rendered else canonical_json(payload)
    prompt_tokens = token_upper_bound(prompt_text)
    tokens = prompt_tokens + capability.max_output_tokens
    cost = max(
        (cost_of_tokens(name, prompt_tokens, capability.max_output_tokens) for name in capability.chain),
        default=Decimal(0),
    )
    if capability.explanation_chain:  # a second stage reads the first answer too: twice the prompt, at most
        tokens += prompt_tokens + capability.max_output_tokens
        cost += max(
            cost_of_tokens(name, 2 * prompt_tokens, capability.max_output_tokens)
            for name in capability.explanation_chain
        )
    return budget_reserve(tenant_id=tenant.id, feature=request.feature, tokens=tokens, cost_usd=cost)


def token_upper_bound(text: str) -> int:
    """The UTF-8 byte length: the providers' tokenizers (byte-level BPE; SentencePiece with byte
    fallback) never make more tokens than bytes, in any script. `len // 4` was no bound at all for
    Arabic, Persian or Pashto (two bytes a letter, often a token each). Generous for English text
    (about four times the real count), which only reserves more than is settled."""
    return len(text.encode("utf-8")) + 1


def check_rate_limit(tenant: Tenant, feature: str) -> None:
    """The (tenant, feature) limit (`rate_limit_per_minute`) and the tenant-wide one (melmastoon_ai/ratelimit.py)."""
    decision = RateLimiter().hit(tenant_id=str(tenant.id), feature=feature, per_minute=tenant.rate_limit_per_minute)
    if not decision.allowed:
        raise RateLimited(
            f"Rate limit of {tenant.rate_limit_per_minute}/min reached (tenant, or feature {feature or '-'!r}).",
            details={"feature": feature, "bucket": decision.bucket, "limit_per_minute": tenant.rate_limit_per_minute},
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
        raise InputSchemaViolation(
            f"input does not match the input schema of {capability.id} {capability.version}.",
            details={"errors": errors},
        )


def request_context(
    tenant: Tenant, request: CompletionRequest, capability: CapabilitySpec, passages: tuple = ()
) -> RequestContext:
    return RequestContext(
        tenant_id=str(tenant.id),
        tenant_region=tenant.region,
        tenant_country=tenant.country,
        locale=request.locale,
        feature=request.feature,
        offline=bool(request.context.get("offline")),
        eu_only=tenant.data_residency == Tenant.Residency.EU_ONLY,
        faq_entries=passages,
        disabled_providers=providers_switched_off(tenant_id=tenant.id),
        as_of=timezone.now().date().isoformat(),
    )


def pin_prompt(capability: CapabilitySpec, tenant: Tenant) -> PromptVersionSpec | None:
    if capability.prompt_key is None:
        return None
    return prompt_version_for(tenant_id=tenant.id, prompt_key=capability.prompt_key)


def render_prompt(
    prompt: PromptVersionSpec | None, capability: CapabilitySpec, payload: dict, locale: str, context: RequestContext
) -> RenderedPrompt | None:
    if prompt is None:
        return None
    retrieved = retrieval.prompt_context(context.faq_entries)
    values: dict[str, Any] = {
        "input_json": canonical_json(without_media(payload)),
        "locale": locale,
        "output_schema_json": canonical_json(capability.output_schema),
        "context": retrieved or "(none)",
    }
    return render(
        system_template=prompt.system_template,
        user_template=prompt.user_template,
        variables=list(prompt.variables),
        values={name: values[name] for name in prompt.variables},
    )


def walk_chain(
    plan: RoutePlan, capability: CapabilitySpec, screened: guardrails.ScreenedInput, tenant: Tenant
) -> RouteResult:
    result = route(plan, breakers=circuit_breakers(), **answer_checks(plan, capability, screened, tenant))
    return normalized(result, capability, plan)


def answer_checks(
    plan: RoutePlan, capability: CapabilitySpec, screened: guardrails.ScreenedInput, tenant: Tenant
) -> dict:
    """What the router judges each answer by: its schema, the capability's checks against the
    request, and output moderation (keyword arguments of `route` and `route_stream`)."""

    def validate(output: object) -> list[str]:
        errors = schema_errors(capability.output_schema, output, key=(capability.id, capability.version, "output"))
        return [error["message"] for error in errors]

    def check(output: object) -> list[str]:
        retrieved = (
            [entry.id for entry in plan.context.faq_entries]
            + [entry.document_id for entry in plan.context.faq_entries if entry.document_id]
            if capability.uses_rag
            else None
        )
        return semantics.answer_errors(capability.id, plan.payload, output, allowed_sources=retrieved)

    def screen_output(output: dict, safety: dict) -> str:
        # Judge what the caller would see; the caller's own values are not a leak.
        restored = guardrails.restore_output(output, screened.mapping)
        thresholds = tenant.moderation_thresholds or None
        return guardrails.screen_output(
            restored,
            locale=plan.context.locale,
            country=tenant.country or None,
            allowed_values=screened.mapping.values(),
            thresholds=thresholds,
            extra_verdicts=[gemini_verdict(safety, thresholds=thresholds)],
        )

    return {"validate": validate, "check": check, "screen": screen_output}


def normalized(result: RouteResult, capability: CapabilitySpec, plan: RoutePlan) -> RouteResult:
    result.output = semantics.normalized(capability.id, plan.payload, result.output)
    return result


@functools.lru_cache(maxsize=1)
def circuit_breakers() -> CircuitBreakers:
    return CircuitBreakers(
        BreakerConfig(
            failure_threshold=settings.BREAKER_FAILURE_THRESHOLD, cooldown_seconds=settings.BREAKER_COOLDOWN_SECONDS
        )
    )


def plan_route(
    capability: CapabilitySpec,
    prompt: PromptVersionSpec | None,
    rendered: RenderedPrompt | None,
    payload: dict,
    context: RequestContext,
    *,
    spent: float = 0.0,
    skip_models: bool = False,
    model: str = "",
) -> RoutePlan:
    """`spent`: seconds this request already used (moderation, lookups); the deadline is for the whole request.
    `model` (evals): that model alone, then the deterministic fallback. The chain's models are read
    here, in the prepare phase, so the call phase finds them in the process's registry cache."""
    chain = capability.chain
    if model:
        chain = tuple(dict.fromkeys((model, "deterministic")))
    if context.offline and capability.offline_model:
        chain = (capability.offline_model, *[name for name in chain if name != capability.offline_model])
    for name in (*chain, *capability.explanation_chain):
        model_get(name=name)
    parameters = prompt.model_parameters if prompt else {}
    return RoutePlan(
        capability_id=capability.id,
        chain=chain,
        allowed_providers=capability.allowed_providers,
        eu_only=context.eu_only,
        system_prompt=rendered.system if rendered else None,
        user_prompt=rendered.user if rendered else None,
        payload=payload,
        output_schema=capability.output_schema,
        max_output_tokens=int(parameters.get("max_output_tokens", capability.max_output_tokens)),
        temperature=float(parameters.get("temperature", 0.2)),
        timeout_seconds=min(capability.latency_target_ms / 1000, settings.PROVIDER_TIMEOUT_CAP_SECONDS),
        deadline_seconds=min(
            capability.latency_target_ms / 1000 + settings.ROUTER_DEADLINE_MARGIN_SECONDS,
            settings.REQUEST_DEADLINE_CAP_SECONDS,
        )
        - spent,
        context=context,
        skip_models=skip_models,
        seed=sampling_seed(parameters),
    )


def sampling_seed(parameters: dict) -> int | None:
    """The prompt version's `seed` model parameter, for the providers that take one (a replay of a
    sampled answer then asks for the same sample; providers promise best effort only)."""
    seed = parameters.get("seed")
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None
