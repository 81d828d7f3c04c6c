"""Replay of a stored inference from its decision trail (seed 002, "deterministic replay").

`inference_replay` re-runs an answer with what its trail pinned: the same prompt version (its
stored text), the same provider and model and nothing else (no fallback chain: a model that cannot
answer now is a 409 `replay_unavailable` naming it, never another model's answer), the same
generation parameters (temperature, max tokens, seed), the same retrieved passages (by id, checked
against their content hash), the same request conditions (locale, country, the day the
deterministic fallbacks took as today) and the stored redacted input. It reuses the pipeline's
steps (rendering, the chain walk with its validation, checks and output moderation) with these
options, and, like every request, holds no transaction, lock or connection while the model answers.

A replay is a new inference of the same tenant, marked `replay_of` in its trail and provenance:
no response-cache read or write, no HITL gate, no `suggestion.*` event, charged to the tenant's
`replay` feature budget (created with REPLAY_BUDGET_USD_MONTHLY on first use; spent: 402). The
report says whether the output hash equals the original's, lists the fields that differ, and
lists what differs in the trail (the provider's model version, a catalog edit, another guardrail
build).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.conf import settings

import guardrails
from budgets.models import Budget
from budgets.services import Reservation, budget_release, budget_settle
from capabilities import recording
from capabilities.hashing import sha256_of
from capabilities.models import InferenceRecord, InferenceSubject
from capabilities.pipeline import (
    CompletionRequest,
    plan_route,
    render_prompt,
    reserve_budget,
    walk_chain,
)
from capabilities.retrieval import passage_of
from capabilities.selectors import CapabilitySpec, capability_get
from capabilities.trail import decision_trail, passage_hash
from melmastoon_ai.errors import ApplicationError, NotFound
from melmastoon_ai.observability.tracing import current_trace_id
from melmastoon_ai.rows import insert_rows
from melmastoon_ai.tenancy.context import platform_access, release_connection, tenant_context
from melmastoon_ai.tenancy.models import Tenant
from prompts.models import PromptVersion
from prompts.rendering import RenderedPrompt
from prompts.selectors import PromptVersionSpec, prompt_version_spec
from rag.selectors import chunks_by_id
from routing.flags import providers_switched_off
from routing.providers.base import FaqEntry, RequestContext
from routing.router import ChainExhausted, RoutePlan, RouteResult, skip_reason
from routing.selectors import model_get
from routing.services import routing_decision_row

REPLAY_FEATURE = "replay"
# trail entries compared between the original and its replay (request and trace ids, and the chain
# walked, differ by construction: a replay walks the chosen model alone)
COMPARED = (
    ("capability", "version"),
    ("capability", "catalog_generation"),
    ("prompt", "version"),
    ("prompt", "rendered_hash"),
    ("registry_generation",),
    ("chosen", "provider"),
    ("chosen", "model"),
    ("chosen", "model_version"),
    ("parameters",),
    ("retrieval",),
    ("conditions",),
    ("guardrails",),
)


class ReplayUnavailable(ApplicationError):
    """409: the inference cannot be replayed as it was; `details.missing` names what is missing."""

    status = 409
    code = "replay_unavailable"


class ReplayBudgetSpent(ApplicationError):
    status = 402
    code = "budget_exhausted"


@dataclass
class ReplayReport:
    original_id: str
    replay_id: str
    routed_id: str  # the inference whose route was replayed: the original, or the one a cache hit repeated
    output_hash_equal: bool
    original_output_hash: str
    replay_output_hash: str
    output_diff: list[dict]
    trail_diff: list[dict]
    output: dict
    provider: str
    model: str
    model_version: str
    cost_usd: Decimal = Decimal(0)
    latency_ms: int = 0
    replay_trail: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "original_id": self.original_id,
            "replay_id": self.replay_id,
            "routed_id": self.routed_id,
            "output_hash_equal": self.output_hash_equal,
            "original_output_hash": self.original_output_hash,
            "replay_output_hash": self.replay_output_hash,
            "diff": self.output_diff,
            "trail_diff": self.trail_diff,
            "output": self.output,
            "provider": self.provider,
            "model": self.model,
            "model_version": self.model_version,
            "cost_usd": f"{self.cost_usd:.6f}",
            "latency_ms": self.latency_ms,
        }


@dataclass
class Pinned:
    """What the trail pins, resolved against today's registry."""

    record: InferenceRecord  # the inference asked for
    routed: InferenceRecord  # the one whose trail routed the answer
    capability: CapabilitySpec
    prompt: PromptVersionSpec | None
    passages: tuple[FaqEntry, ...]
    plan_rendered: RenderedPrompt | None = None


def inference_replay(
    *, tenant: Tenant, inference_id: uuid.UUID | str, prompt: PromptVersionSpec | None = None, request_id: str = ""
) -> ReplayReport:
    """Replay one inference of `tenant` (see the module docstring). `prompt` (shadow evaluation,
    evals/services/shadow.py): that prompt version instead of the pinned one, everything else pinned."""
    with tenant_context(tenant.id):
        pinned = pin(tenant, inference_id, prompt)
    request = replay_request(pinned.record, request_id)
    replay_budget_ensure(tenant=tenant)
    reservation = None
    try:
        plan = replay_plan(pinned, tenant)
        reservation = reserve_budget(
            tenant, request, pinned.capability, pinned.plan_rendered, pinned.record.input_redacted
        )
        if reservation is not None and reservation.skip_models and plan.chain != ("deterministic",):
            raise ReplayBudgetSpent(
                f"the {REPLAY_FEATURE} budget of this tenant is spent", details={"feature": REPLAY_FEATURE}
            )
        release_connection()
        result = replay_call(pinned, plan, tenant)
        with tenant_context(tenant.id):
            report = replay_persist(pinned, plan, request, tenant, result, reservation)
        reservation = None  # settled by the commit
        return report
    finally:
        if reservation is not None and not reservation.skip_models:
            budget_release(reservation=reservation)


def replay_tenant(*, caller: Tenant, inference_id: uuid.UUID | str, actor: str) -> Tenant:
    """Whose inference this is, as far as `caller` may replay it: its own; or, for the platform
    operator's tenant, any tenant's, found through the audited platform path (a PlatformAccessLog
    row names the actor and the inference). Anyone else's is 404, as if it did not exist."""
    with tenant_context(caller.id):
        if InferenceRecord.objects.filter(tenant_id=caller.id, pk=inference_id).exists():
            return caller
    if not caller.operator:
        raise NotFound("No such inference.")
    with platform_access(actor=actor, reason=f"replay of inference {inference_id}"):
        owner = InferenceRecord.objects.filter(pk=inference_id).values_list("tenant_id", flat=True).first()
    if owner is None:
        raise NotFound("No such inference.")
    return Tenant.objects.get(pk=owner)


def pin(tenant: Tenant, inference_id, prompt: PromptVersionSpec | None) -> Pinned:
    """The stored inference and what its trail names, or 409 listing everything missing."""
    record = InferenceRecord.objects.filter(tenant_id=tenant.id, pk=inference_id).first()
    if record is None:
        raise NotFound("No such inference.")
    routed: InferenceRecord | None = record
    if record.trail.get("cached_from"):  # a cache hit: replay the route of the answer it repeated
        routed = InferenceRecord.objects.filter(tenant_id=tenant.id, pk=record.trail["cached_from"]).first()
    trail = routed.trail if routed is not None else {}
    missing: list[dict] = []
    if routed is None or not trail.get("chosen") or "parameters" not in trail:
        raise ReplayUnavailable(
            "This inference has no decision trail to replay (it predates the trail, or the "
            "answer it repeated is gone).",
            details={"missing": [{"what": "trail"}]},
        )
    capability = capability_get(capability_id=record.capability)
    if capability is None:
        missing.append({"what": "capability", "capability": record.capability})
    if prompt is None and trail.get("prompt"):
        prompt = pinned_prompt(trail["prompt"], missing)
    missing.extend(unavailable_model(trail["chosen"], tenant))
    passages = pinned_passages(tenant, trail.get("retrieval") or [], missing)
    if missing or capability is None:
        named = ", ".join(entry["what"] for entry in missing)
        raise ReplayUnavailable(
            f"The inference cannot be replayed as it was: {named} unavailable.", details={"missing": missing}
        )
    return Pinned(record=record, routed=routed, capability=capability, prompt=prompt, passages=passages)


def pinned_prompt(pinned: dict, missing: list[dict]) -> PromptVersionSpec | None:
    row = (
        PromptVersion.objects.select_related("prompt")
        .filter(prompt__key=pinned["id"], version=pinned["version"])
        .first()
    )
    if row is None:
        missing.append({"what": "prompt_version", "prompt": pinned["id"], "version": pinned["version"]})
        return None
    return prompt_version_spec(row)


def unavailable_model(chosen: dict, tenant: Tenant) -> list[dict]:
    """The chosen model, if the router would not try it for this tenant now (and why)."""
    name, provider = chosen["model"], chosen["provider"]
    model = model_get(name=name)
    context = RequestContext(
        tenant_id=str(tenant.id),
        tenant_region=tenant.region,
        tenant_country=tenant.country,
        locale="en",
        feature=REPLAY_FEATURE,
        offline=False,
        eu_only=tenant.data_residency == Tenant.Residency.EU_ONLY,
        disabled_providers=providers_switched_off(tenant_id=tenant.id),
    )
    probe = RoutePlan(
        capability_id="",
        chain=(name,),
        allowed_providers=(),
        eu_only=context.eu_only,
        system_prompt=None,
        user_prompt=None,
        payload={},
        output_schema={},
        max_output_tokens=0,
        temperature=0,
        timeout_seconds=0,
        deadline_seconds=0,
        context=context,
    )
    reason = skip_reason(probe, model)
    if model is not None and model.provider != provider:
        reason = f"the model now belongs to provider {model.provider}"
    if reason is None:
        return []
    return [{"what": "model", "model": name, "provider": provider, "reason": reason}]


def pinned_passages(tenant: Tenant, retrieved: list[dict], missing: list[dict]) -> tuple[FaqEntry, ...]:
    """The passages the original was given, in its order, each as it was (same content hash)."""
    ids = [passage["id"] for passage in retrieved]
    valid = [pk for pk in ids if _is_uuid(pk)]
    rows = {pk: passage_of(hit) for pk, hit in chunks_by_id(tenant_id=tenant.id, ids=valid).items()}
    gone = [pk for pk in ids if pk not in rows]
    changed = [p["id"] for p in retrieved if p["id"] in rows and passage_hash(rows[p["id"]]) != p["hash"]]
    if gone or changed:
        missing.append({"what": "passages", "removed": gone[:50], "changed": changed[:50]})
    return tuple(rows[pk] for pk in ids if pk in rows)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def replay_request(record: InferenceRecord, request_id: str) -> CompletionRequest:
    context = dict(record.context or {}) | {"feature": REPLAY_FEATURE}
    return CompletionRequest(
        capability=record.capability,
        input=record.input_redacted,
        context=context,
        request_id=request_id or f"replay-{uuid.uuid4().hex}",
        no_cache=True,
        no_store=True,
    )


def replay_plan(pinned: Pinned, tenant: Tenant) -> RoutePlan:
    """The original's route: its chosen model alone, its parameters, conditions and passages."""
    trail = pinned.routed.trail
    conditions, parameters = trail.get("conditions") or {}, trail["parameters"]
    context = RequestContext(
        tenant_id=str(tenant.id),
        tenant_region=conditions.get("tenant_region", tenant.region),
        tenant_country=conditions.get("tenant_country", tenant.country),
        locale=conditions.get("locale", "en"),
        feature=REPLAY_FEATURE,
        offline=bool(conditions.get("offline")),
        eu_only=bool(conditions.get("eu_only")),
        faq_entries=pinned.passages,
        disabled_providers=providers_switched_off(tenant_id=tenant.id),
        as_of=conditions.get("as_of", ""),
    )
    payload = pinned.record.input_redacted
    rendered = render_prompt(pinned.prompt, pinned.capability, payload, context.locale, context)
    pinned.plan_rendered = rendered
    plan = plan_route(pinned.capability, pinned.prompt, rendered, payload, context, model=trail["chosen"]["model"])
    return replace(
        plan,
        chain=(trail["chosen"]["model"],),
        temperature=parameters["temperature"],
        max_output_tokens=parameters["max_output_tokens"],
        seed=parameters.get("seed"),
    )


def replay_call(pinned: Pinned, plan: RoutePlan, tenant: Tenant) -> RouteResult:
    """The chosen model, walked alone with the pipeline's validation, checks and output moderation."""
    try:
        return walk_chain(plan, pinned.capability, guardrails.ScreenedInput(payload=plan.payload), tenant)
    except ChainExhausted as exhausted:
        failed = [
            {
                "what": "model",
                "model": attempt.model,
                "provider": attempt.provider,
                "reason": attempt.outcome,
                **({"detail": attempt.detail} if attempt.detail else {}),
            }
            for attempt in exhausted.attempts
        ]
        raise ReplayUnavailable(
            "The inference's model did not answer the replay; no other model was asked.", details={"missing": failed}
        ) from None
    finally:
        release_connection()


def original_subjects(tenant: Tenant, original) -> list[str]:
    """The replay is about whom the original was: an erasure finds it by the same digests."""
    return list(
        InferenceSubject.objects.filter(tenant_id=tenant.id, inference_id=original.id).values_list("digest", flat=True)
    )


def replay_persist(
    pinned: Pinned,
    plan: RoutePlan,
    request: CompletionRequest,
    tenant: Tenant,
    result: RouteResult,
    reservation: Reservation | None,
) -> ReplayReport:
    """The replay's own inference record and routing decision (no gate, no cache, no suggestion
    event), settled on the replay budget, and the report comparing it with the original."""
    original_chain = tuple(dict.fromkeys(candidate["model"] for candidate in pinned.routed.trail.get("chain", ())))
    trail = decision_trail(
        request_id=request.request_id,
        trace_id=current_trace_id(),
        capability=pinned.capability,
        prompt=pinned.prompt,
        rendered=pinned.plan_rendered,
        plan=plan,
        result=result,
        replay_of=str(pinned.record.id),
        registry_chain=original_chain,
    )
    record, rows = recording.inference_rows(
        tenant=tenant,
        request=request,
        capability=pinned.capability,
        prompt=pinned.prompt,
        result=result,
        screened=guardrails.ScreenedInput(payload=pinned.record.input_redacted),
        input_hash=pinned.record.input_hash,
        cache_hit=False,
        latency_ms=result.provider_ms + result.decision_ms,
        overhead_ms=result.decision_ms,
        suggestion=False,
        trail=trail,
        subject_digests=original_subjects(tenant, pinned.record),
    )
    rows.append(
        routing_decision_row(
            tenant_id=tenant.id,
            inference_id=record.id,
            capability_id=pinned.capability.id,
            chain=plan.chain,
            result=result,
            trail=trail,
        )
    )
    if reservation is not None and not reservation.skip_models:
        budget_settle(
            reservation=reservation,
            inference_id=record.id,
            tokens=record.input_tokens + record.output_tokens,
            cost_usd=record.cost_usd,
            into=rows,
        )
    insert_rows(rows)
    return ReplayReport(
        original_id=str(pinned.record.id),
        replay_id=str(record.id),
        routed_id=str(pinned.routed.id),
        output_hash_equal=record.output_hash == pinned.record.output_hash,
        original_output_hash=pinned.record.output_hash,
        replay_output_hash=record.output_hash,
        output_diff=field_diff(pinned.record.output, record.output),
        trail_diff=trail_diff(pinned.routed.trail, trail),
        output=record.output,
        provider=record.provider,
        model=record.model,
        model_version=result.model_version,
        cost_usd=record.cost_usd,
        latency_ms=record.latency_ms,
        replay_trail=trail,
    )


def replay_budget_ensure(*, tenant: Tenant) -> Budget:
    """The tenant's `replay` feature budget, made on first use with REPLAY_BUDGET_USD_MONTHLY."""
    with tenant_context(tenant.id):
        budget, _ = Budget.objects.get_or_create(
            tenant=tenant,
            feature=REPLAY_FEATURE,
            defaults={
                "period": Budget.Period.MONTHLY,
                "cost_limit_usd": Decimal(str(settings.REPLAY_BUDGET_USD_MONTHLY)),
            },
        )
    return budget


def field_diff(original: object, replayed: object, path: str = "$") -> list[dict]:
    """Every leaf that differs, by JSON path: `{"path", "original", "replay"}` (a missing side is
    absent from the row)."""
    if isinstance(original, dict) and isinstance(replayed, dict):
        rows = []
        for key in sorted(set(original) | set(replayed), key=str):
            child = f"{path}.{key}"
            if key not in replayed:
                rows.append({"path": child, "original": original[key]})
            elif key not in original:
                rows.append({"path": child, "replay": replayed[key]})
            else:
                rows.extend(field_diff(original[key], replayed[key], child))
        return rows
    if isinstance(original, list) and isinstance(replayed, list):
        rows = []
        for index in range(max(len(original), len(replayed))):
            child = f"{path}[{index}]"
            if index >= len(replayed):
                rows.append({"path": child, "original": original[index]})
            elif index >= len(original):
                rows.append({"path": child, "replay": replayed[index]})
            else:
                rows.extend(field_diff(original[index], replayed[index], child))
        return rows
    if sha256_of(original) == sha256_of(replayed):
        return []
    return [{"path": path, "original": original, "replay": replayed}]


def trail_diff(original: dict, replayed: dict) -> list[dict]:
    """What the replay ran on that differs from what the original ran on."""
    rows = []
    for keys in COMPARED:
        before, after = _dig(original, keys), _dig(replayed, keys)
        if sha256_of(before) != sha256_of(after):
            rows.append({"field": ".".join(keys), "original": before, "replay": after})
    return rows


def _dig(trail: dict, keys: tuple[str, ...]) -> object:
    value: object = trail
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value
