"""Step 9: the inference record with its provenance, the usage fact and the outbox events,
written in the request's transaction; and the response body built from the record."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from capabilities import metrics
from capabilities.hashing import sha256_of
from capabilities.models import InferenceRecord, InferenceSubject, ModerationBlock, UsageFact
from capabilities.selectors import CapabilitySpec
from guardrails import ScreenedInput, restore_output
from melmastoon_ai.outbox.services import outbox_emit_many, outbox_rows
from melmastoon_ai.tenancy.models import Tenant
from prompts.selectors import PromptVersionSpec
from routing.router import RouteResult


def suggestion_topic(capability_id: str) -> str:
    return "suggestion." + capability_id.replace(".", "_")


def _provenance(
    record: InferenceRecord, *, result: RouteResult, screened: ScreenedInput, prompt: PromptVersionSpec | None
) -> dict:
    return {
        "inference_id": str(record.id),
        "tenant_id": str(record.tenant_id),
        "request_id": record.request_id,
        "capability": record.capability,
        "capability_version": record.capability_version,
        "prompt": {"id": prompt.prompt_key, "version": prompt.version, "canary": prompt.is_canary} if prompt else None,
        "provider": record.provider,
        "model": record.model,
        "model_version": result.model_version,
        "trace_id": record.trace_id,
        **_replay_of(record),
        "attempts": [attempt.as_dict() for attempt in result.attempts],
        **_stage_attempts(result),
        "fallback_used": result.fallback_used,
        "cache_hit": record.cache_hit,
        "input_hash": record.input_hash,
        "output_hash": record.output_hash,
        "tokens": {"input": record.input_tokens, "output": record.output_tokens},
        "cost_usd": f"{record.cost_usd:.6f}",
        "latency_ms": record.latency_ms,
        "safety": {
            "input": screened.verdict,
            "output": result.output_safety,
            "pii_redactions": screened.pii_redactions,
            "checked_by": list(screened.checked_by),
            "input_review": screened.in_review,
        },
        "schema_valid": result.schema_valid,
        "repaired": result.repaired,
        "created_at": record.created_at.isoformat(),
    }


def _stage_attempts(result: RouteResult) -> dict:
    """A second stage's attempts (capabilities/stages.py), apart from the first stage's."""
    return {"stage_attempts": [attempt.as_dict() for attempt in result.stage_attempts]} if result.stage_attempts else {}


def _replay_of(record: InferenceRecord) -> dict:
    replayed = record.trail.get("replay_of") if record.trail else ""
    return {"replay_of": replayed} if replayed else {}


def inference_rows(
    *,
    tenant: Tenant,
    request,
    capability: CapabilitySpec,
    prompt: PromptVersionSpec | None,
    result: RouteResult,
    screened: ScreenedInput,
    input_hash: str,
    cache_hit: bool,
    latency_ms: float,
    overhead_ms: float,
    suggestion: bool = True,
    trail: dict | None = None,
    subject_digests: tuple[str, ...] | list[str] = (),
) -> tuple[InferenceRecord, list]:
    """The record and the rows that go with it (its usage fact, its outbox events), not yet written:
    the persist phase inserts them with the rest of the change in one round trip (melmastoon_ai/rows.py).
    `suggestion=False` (eval runs, replays): no `suggestion.*` event, nothing for a product to act on.
    `trail`: the decision trail (capabilities/trail.py), stored with the record. `subject_digests`:
    the digests of the identifiers the input named (melmastoon_ai/subjects.py), one row each."""
    trail = trail or {}
    tokens_in, tokens_out = (0, 0) if cache_hit else (result.input_tokens, result.output_tokens)
    cost = Decimal(0) if cache_hit else result.cost_usd
    record = InferenceRecord(
        tenant=tenant,
        request_id=request.request_id,
        capability=capability.id,
        capability_version=capability.version,
        feature=request.feature,
        prompt_key=prompt.prompt_key if prompt else "",
        prompt_version=prompt.version if prompt else "",
        provider=result.provider,
        model=result.model,
        degraded=result.degraded,
        cache_hit=cache_hit,
        input_hash=input_hash,
        output_hash=sha256_of(result.output),
        input_redacted=screened.payload,
        output=result.output,
        context=request.context,
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        cost_usd=cost,
        latency_ms=round(latency_ms),
        overhead_ms=max(0, round(overhead_ms)),
        idempotency_key=request.idempotency_key or "",
        created_at=timezone.now(),
        provenance={},
        trace_id=str(trail.get("trace_id", ""))[:32],
        trail=trail,
    )
    if getattr(request, "inference_id", None):  # an async request's id, given to the caller at 202
        record.id = request.inference_id
    record.provenance = _provenance(record, result=result, screened=screened, prompt=prompt)
    outcome = (
        UsageFact.Outcome.CACHED
        if cache_hit
        else (UsageFact.Outcome.DEGRADED if result.degraded else UsageFact.Outcome.OK)
    )
    fact = UsageFact(
        tenant=tenant,
        inference=record,
        day=record.created_at.date(),
        capability=capability.id,
        feature=request.feature,
        model=result.model,
        provider=result.provider,
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        cost_usd=cost,
        latency_ms=record.latency_ms,
        cache_hit=cache_hit,
        outcome=outcome,
        fallback_used=result.fallback_used and not cache_hit,
        created_at=record.created_at,
    )
    event = {
        "inference_id": str(record.id),
        "capability": capability.id,
        "provider": result.provider,
        "model": result.model,
        "degraded": result.degraded,
        "cache_hit": cache_hit,
        "output_hash": record.output_hash,
        "feature": request.feature,
    }
    events = [("inference.completed", event)]
    if suggestion:
        events.append((suggestion_topic(capability.id), event | {"subject_ref": request.context.get("subject_ref")}))
    summary = observed_summary(record, fact, result)
    transaction.on_commit(lambda: metrics.inference_observed(summary))
    subjects = [InferenceSubject(tenant=tenant, inference=record, digest=digest) for digest in subject_digests]
    return record, [record, fact, *subjects, *outbox_rows(tenant_id=tenant.id, key=str(record.id), events=events)]


def observed_summary(record: InferenceRecord, fact: UsageFact, result: RouteResult) -> dict:
    """What the metrics and the per-inference log line carry: ids, names and figures, no content."""
    return {
        "inference_id": str(record.id),
        "request_id": record.request_id,
        "capability": record.capability,
        "capability_version": record.capability_version,
        "feature": record.feature,
        "provider": record.provider,
        "model": record.model,
        "outcome": fact.outcome,
        "latency_ms": record.latency_ms,
        "overhead_ms": record.overhead_ms,
        "tokens_input": record.input_tokens,
        "tokens_output": record.output_tokens,
        "cost_usd": f"{record.cost_usd:.6f}",
        "cache_hit": record.cache_hit,
        "degraded": record.degraded,
        "fallback_used": fact.fallback_used,
        "repaired": bool(result.repaired) and not record.cache_hit,
        "router_decision_ms": round(result.decision_ms, 3),
    }


def moderation_block_create(
    *, tenant: Tenant, request, capability: CapabilitySpec, screened: ScreenedInput, stage: str = "input"
) -> dict[str, float]:
    """`stage` "input": the input was flagged; "output": every answer, the fallback included, was."""
    if stage == "input":
        flagged = {name: round(score.score, 4) for name, score in screened.categories.items() if score.flagged}
        moderators = list(screened.checked_by)
    else:
        flagged, moderators = {}, ["output moderation"]
    block = ModerationBlock.objects.create(
        tenant=tenant,
        request_id=request.request_id,
        capability=capability.id,
        feature=request.feature,
        categories=flagged,
        moderators=moderators,
        input_hash=sha256_of({"input": screened.payload, "locale": request.locale}),
    )
    transaction.on_commit(lambda: metrics.moderation_block_observed(capability=capability.id, stage=stage))
    outbox_emit_many(
        tenant_id=tenant.id,
        key=str(block.id),
        events=[
            (
                "inference.blocked",
                {
                    "block_id": str(block.id),
                    "capability": capability.id,
                    "categories": flagged,
                    "feature": request.feature,
                    "stage": stage,
                },
            ),
        ],
    )
    return flagged


def with_restored_output(body: dict, mapping: dict[str, str]) -> dict:
    """The response as the caller sees it: placeholders in the output replaced by its own values."""
    if not mapping or "output" not in body:
        return body
    return body | {"output": restore_output(body["output"], mapping)}


def response_body(record: InferenceRecord, gate: dict | None = None) -> dict:
    """`gate`: the HITL gate summary when one opened (the output is then a draft)."""
    return {
        "id": str(record.id),
        "capability": record.capability,
        "output": record.output,
        "degraded": record.degraded,
        "hitl": gate,
        "provenance": record.provenance,
    }


def cache_snapshot(result: RouteResult, inference_id, *, gated: bool) -> dict:
    """What a later hit repeats, with the inference it came from and whether that opened a HITL
    gate (which a hit then reuses)."""
    return {
        "output": result.output,
        "provider": result.provider,
        "model": result.model,
        "model_version": result.model_version,
        "schema_valid": result.schema_valid,
        "repaired": result.repaired,
        "inference_id": str(inference_id),
        "gated": gated,
    }


def result_from_cache(snapshot: dict) -> RouteResult:
    return RouteResult(
        output=snapshot["output"],
        provider=snapshot["provider"],
        model=snapshot["model"],
        model_version=snapshot.get("model_version", ""),
        attempts=[],
        schema_valid=snapshot["schema_valid"],
        repaired=snapshot["repaired"],
    )
