"""Shadow evaluation: a suite run as replays of a sample of last week's production inferences
with a candidate prompt version (seed 002), feeding the promotion gate like any other run.

Each sampled inference is replayed (capabilities/replay.py) with the candidate version in place of
its pinned one and everything else pinned: the same model and provider, parameters, passages and
day. A case's expectation is the answer production served: the suite's label and number fields,
and the scalar fields of the output, so the metrics say how far the candidate departs from what
real traffic got (and schema validity, fallbacks, latency and cost as for a golden run). An
inference that can no longer be replayed (its model is gone: 409) is a failed case.

The sample is drawn once, when the run is created, through the audited platform path (it reads
every tenant's records); each replay is then made as its own tenant, under row-level security,
charged to that tenant's `replay` budget, with no HITL gate, cache or suggestion event. Resuming
skips the inferences that have a result, as golden runs skip their cases.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from capabilities.models import InferenceRecord
from capabilities.replay import REPLAY_FEATURE, ReplayBudgetSpent, inference_replay
from evals.metrics import get_path, score_case
from evals.models import EvalCaseResult, EvalRun, EvalSuite
from melmastoon_ai.errors import ApplicationError, Conflict, NotFound
from melmastoon_ai.schema_validation import schema_errors
from melmastoon_ai.tenancy.context import platform_access
from melmastoon_ai.tenancy.models import Tenant
from prompts.selectors import prompt_version_spec

SHADOW_DAYS = 7
MAX_FIELDS = 20


def shadow_sample(*, capability_id: str, size: int, days: int = SHADOW_DAYS, actor: str) -> list[dict]:
    """Up to `size` production inferences of the capability from the last `days` days, at random:
    answers served to hotels, not cache hits, evals or replays."""
    since = timezone.now() - dt.timedelta(days=days)
    with platform_access(actor=actor, reason=f"shadow evaluation sample of {capability_id}"):
        rows = (
            InferenceRecord.objects.filter(capability=capability_id, created_at__gte=since, cache_hit=False)
            .exclude(feature__in=["eval", REPLAY_FEATURE])
            .exclude(tenant_id=str(settings.EVAL_TENANT_ID))
            .order_by("?")
            .values_list("id", "tenant_id")[:size]
        )
        return [{"inference_id": str(pk), "tenant_id": str(tenant_id)} for pk, tenant_id in rows]


def eval_shadow_run_create(
    *,
    suite_key: str,
    prompt_version: str,
    sample_size: int = 50,
    days: int = SHADOW_DAYS,
    started_by: str = "",
    enqueue: bool = True,
) -> EvalRun:
    from evals.services.runs import _capability, _resolve_version, eval_run_enqueue

    suite = EvalSuite.objects.filter(key=suite_key).first()
    if suite is None:
        raise NotFound(f"no eval suite {suite_key}", details={"field": "suite"})
    capability = _capability(suite)
    version = _resolve_version(capability, prompt_version)
    if version is None:
        raise ApplicationError(
            f"{capability.id} has no prompt: there is no candidate version to shadow",
            details={"field": "prompt_version"},
        )
    sample = shadow_sample(
        capability_id=capability.id, size=sample_size, days=days, actor=started_by or "shadow evaluation"
    )
    if not sample:
        raise Conflict(f"no production inference of {capability.id} in the last {days} days to replay")
    with transaction.atomic():
        run = EvalRun.objects.create(
            suite=suite,
            prompt_version=version,
            purpose=EvalRun.Purpose.SHADOW,
            thresholds=suite.thresholds,
            started_by=started_by[:200],
            shadow_sample=sample,
            cases_total=len(sample),
        )
        if enqueue:
            run_id = str(run.id)
            transaction.on_commit(lambda: eval_run_enqueue(run_id=run_id))
    return run


def expected_from_served(output: object, config: dict) -> dict:
    """What the production answer says a case should give: the suite's label and number, and the
    output's scalar fields (two levels deep, short strings only: generated text is not a field)."""
    expected: dict = {}
    if "label_field" in config and get_path(output, config["label_field"], None) is not None:
        expected["label"] = get_path(output, config["label_field"])
    if "numeric_field" in config and isinstance(get_path(output, config["numeric_field"], None), int | float):
        expected["number"] = get_path(output, config["numeric_field"])
    fields: dict = {}
    for key, value in output.items() if isinstance(output, dict) else ():
        inner = value.items() if isinstance(value, dict) else [("", value)]
        for sub, leaf in inner:
            if isinstance(leaf, bool | int | float) or (isinstance(leaf, str) and len(leaf) <= 64):
                fields[f"{key}.{sub}" if sub else key] = leaf
    if fields:
        expected["fields"] = dict(sorted(fields.items())[:MAX_FIELDS])
    return expected


def shadow_run_execute(run: EvalRun, capability, *, stop_after: int | None = None) -> int:
    """Replay the sampled inferences that have no result yet; how many were recorded."""
    if run.prompt_version is None:
        raise Conflict(f"shadow run {run.id} has no candidate prompt version")
    candidate = prompt_version_spec(run.prompt_version)
    done = set(EvalCaseResult.objects.filter(run=run).values_list("replayed_inference_id", flat=True))
    recorded = 0
    for entry in run.shadow_sample:
        if uuid.UUID(entry["inference_id"]) in done:
            continue
        if stop_after is not None and recorded >= stop_after:
            break
        tenant = Tenant.objects.get(pk=entry["tenant_id"])
        if shadow_case(run, capability, tenant, entry["inference_id"], candidate):
            recorded += 1
    return recorded


def shadow_case(run: EvalRun, capability, tenant: Tenant, inference_id: str, candidate) -> bool:
    from melmastoon_ai.tenancy.context import tenant_context

    with tenant_context(tenant.id):
        served = (
            InferenceRecord.objects.filter(tenant_id=tenant.id, pk=inference_id)
            .values_list("output", flat=True)
            .first()
        )
    error, report = "", None
    try:
        report = inference_replay(
            tenant=tenant, inference_id=inference_id, prompt=candidate, request_id=f"shadow-{run.id}-{inference_id}"
        )
    except ReplayBudgetSpent:
        raise
    except ApplicationError as exc:
        error = f"{exc.code}: {exc.message}"[:500]
    output = report.output if report else None
    errors = (
        [error]
        if error
        else [
            e["message"]
            for e in schema_errors(capability.output_schema, output, key=(capability.id, capability.version, "output"))
        ]
    )
    scored = score_case(
        output=output,
        expected=expected_from_served(served, run.suite.config),
        config=run.suite.config,
        schema_errors=errors,
    )
    try:
        with transaction.atomic():
            EvalCaseResult.objects.create(
                run=run,
                case=None,
                replayed_inference_id=inference_id,
                output=output,
                scores=scored.scores,
                failures=([error] if error else []) + scored.failures,
                passed=scored.passed and not error,
                inference_id=uuid.UUID(report.replay_id) if report else None,
                provider=report.provider if report else "",
                model=report.model if report else "",
                latency_ms=report.latency_ms if report else 0,
                cost_usd=report.cost_usd if report else Decimal(0),
                error=error,
            )
            EvalRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
    except IntegrityError:  # another worker recorded this inference first
        return False
    return True
