"""Eval runs: create, execute case by case through the real pipeline in eval mode, finish.

Tenancy. EvalRun, EvalCaseResult and GoldenCase are platform tables (no tenant, no RLS). Each
case's inference is made as the platform's eval tenant (settings.EVAL_TENANT_ID), inside
`tenant_context` of that tenant, so its inference record, routing decision and budget ledger
rows are ordinary tenant-owned rows under row-level security, charged to the eval tenant's
`eval` feature budget (settings.EVAL_BUDGET_USD_MONTHLY), never to a hotel.

Resumability. A case is claimed before it runs (an `EvalCaseClaim` row, committed in a short
transaction of its own); its inference then runs through the pipeline holding no lock and no
transaction across the model call; its result and the claim's release commit together. A second
worker finds the claim (or the result) and skips the case. A worker that dies mid-case leaves a
claim that expires and a case without a result, which the resumed run evaluates again; if its
inference had already been persisted (the crash came after the model answered), that inference is
reused by its request id rather than paid for twice. `one_result_per_run_case` is the backstop.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from budgets.models import Budget
from capabilities.models import InferenceRecord
from capabilities.pipeline import CompletionRequest, EvalBudgetSpent, EvalMode, complete
from capabilities.selectors import CapabilitySpec, capability_get
from evals.metrics import (
    KNOWN_METRICS,
    RUN_VALIDITY_METRICS,
    ScoredCase,
    aggregate,
    no_model_answered,
    score_case,
    threshold_failures,
)
from evals.models import EvalCaseClaim, EvalCaseResult, EvalRun, EvalSuite, GoldenCase
from melmastoon_ai.errors import ApplicationError, Conflict, NotFound
from melmastoon_ai.schema_validation import schema_errors
from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.tenancy.models import Tenant
from prompts.models import PromptVersion
from prompts.selectors import active_version, prompt_version_spec
from routing.models import Model

logger = logging.getLogger(__name__)
EVAL_FEATURE = "eval"
DETERMINISTIC = "deterministic"
Progress = Callable[[int, int], None]


def eval_tenant() -> Tenant:
    """The platform's own tenant for eval inferences, with its `eval` budget (created once)."""
    tenant, _ = Tenant.objects.get_or_create(
        id=settings.EVAL_TENANT_ID,
        defaults={"name": settings.EVAL_TENANT_NAME, "rate_limit_per_minute": 100_000, "cache_enabled": False},
    )
    with tenant_context(tenant.id):
        Budget.objects.get_or_create(
            tenant=tenant,
            feature=EVAL_FEATURE,
            defaults={
                "period": Budget.Period.MONTHLY,
                "cost_limit_usd": Decimal(str(settings.EVAL_BUDGET_USD_MONTHLY)),
            },
        )
    return tenant


def run_cases(run: EvalRun):
    """The cases a run evaluates: enabled when it was created (later edits wait for the next run)."""
    return GoldenCase.objects.filter(suite_id=run.suite_id, enabled=True, created_at__lte=run.created_at)


def _capability(suite: EvalSuite) -> CapabilitySpec:
    capability = capability_get(capability_id=suite.capability_id)
    if capability is None:
        raise Conflict(f"suite {suite.key} evaluates {suite.capability_id}, which is not an enabled capability")
    return capability


def _resolve_version(capability: CapabilitySpec, version: str | None) -> PromptVersion | None:
    if capability.prompt_key is None:
        if version:
            raise ApplicationError(
                f"{capability.id} has no prompt; leave the prompt version out", details={"field": "prompt_version"}
            )
        return None
    found = (
        PromptVersion.objects.select_related("prompt")
        .filter(prompt__key=capability.prompt_key, version=version)
        .first()
        if version
        else active_version(prompt_key=capability.prompt_key)
    )
    if found is None:
        what = f"version {version}" if version else "active version"
        what = f"{what} of {capability.prompt_key}"
        raise NotFound(f"no {what}", details={"field": "prompt_version"})
    if found.status == PromptVersion.Status.RETIRED:
        raise ApplicationError(f"{found.label} is retired", details={"field": "prompt_version"})
    return found


def eval_run_create(
    *,
    suite_key: str,
    prompt_version: str | None = None,
    model_name: str = "",
    started_by: str = "",
    purpose: str = EvalRun.Purpose.MANUAL,
    baseline: EvalRun | None = None,
    enqueue: bool = True,
) -> EvalRun:
    """A queued run of the suite for a version of its capability's prompt (default: the active
    one), optionally on one model; the Celery task starts after the transaction commits."""
    suite = EvalSuite.objects.filter(key=suite_key).first()
    if suite is None:
        raise NotFound(f"no eval suite {suite_key}", details={"field": "suite"})
    capability = _capability(suite)
    version = _resolve_version(capability, prompt_version)
    if model_name and not Model.objects.filter(name=model_name).exists():
        raise ApplicationError(f"no model {model_name} in the registry", details={"field": "model"})
    unknown = set(suite.metrics) - set(KNOWN_METRICS)
    if unknown:
        raise Conflict(f"suite {suite.key} declares unknown metrics {sorted(unknown)}")
    with transaction.atomic():
        run = EvalRun.objects.create(
            suite=suite,
            prompt_version=version,
            model_name=model_name,
            purpose=purpose,
            baseline=baseline,
            thresholds=suite.thresholds,
            started_by=started_by[:200],
        )
        run.cases_total = run_cases(run).count()
        if run.cases_total == 0:
            raise Conflict(f"suite {suite.key} has no enabled golden cases; import some first")
        run.save(update_fields=["cases_total"])
        if enqueue:
            run_id = str(run.id)
            transaction.on_commit(lambda: eval_run_enqueue(run_id=run_id))
    return run


def eval_run_enqueue(*, run_id: str) -> None:
    from evals.tasks import execute_run

    execute_run.delay(run_id)


@dataclass
class CaseOutcome:
    output: object
    provenance: dict
    error: str = ""


CLAIM_SECONDS = 300  # longer than any case's request deadline (REQUEST_DEADLINE_CAP_SECONDS)


def _request_id(run: EvalRun, case: GoldenCase) -> str:
    return f"eval-{run.id}-{case.id}"


def _infer(run: EvalRun, case: GoldenCase, tenant: Tenant, mode: EvalMode, capability: CapabilitySpec) -> CaseOutcome:
    request_id = _request_id(run, case)
    with tenant_context(tenant.id):  # a worker died after this case's inference was persisted: reuse it
        earlier = InferenceRecord.objects.filter(tenant_id=tenant.id, request_id=request_id).first()
    if earlier is not None:
        return CaseOutcome(earlier.output, earlier.provenance)
    request = CompletionRequest(
        capability=capability.id,
        input=case.input,
        request_id=request_id,
        context={"feature": EVAL_FEATURE, "locale": case.locale, "subject_ref": f"eval:{run.id}:{case.key}"},
    )
    try:
        outcome = complete(request, tenant=tenant, eval_mode=mode)
    except EvalBudgetSpent:
        raise
    except ApplicationError as exc:
        return CaseOutcome(None, {}, f"{exc.code}: {exc.message}"[:500])
    if outcome.status != 200:
        error = outcome.body.get("error", {})
        return CaseOutcome(None, {}, f"{error.get('code', outcome.status)}: {error.get('message', '')}"[:500])
    return CaseOutcome(outcome.body["output"], outcome.body.get("provenance") or {})


def _claim_case(run: EvalRun, case: GoldenCase) -> bool:
    """Take the case for this worker, committed, or False when it has a result or a live claim."""
    now = timezone.now()
    until = now + timezone.timedelta(seconds=CLAIM_SECONDS)
    with transaction.atomic():
        if EvalCaseResult.objects.filter(run=run, case=case).exists():
            return False
        claim, created = EvalCaseClaim.objects.get_or_create(run=run, case=case, defaults={"claimed_until": until})
        if created:
            return True
        return bool(EvalCaseClaim.objects.filter(pk=claim.pk, claimed_until__lt=now).update(claimed_until=until))


def evaluate_case(
    *, run: EvalRun, case: GoldenCase, tenant: Tenant, mode: EvalMode, capability: CapabilitySpec
) -> EvalCaseResult | None:
    """Run one case and record its result, once: None when another worker has it or recorded it."""
    if not _claim_case(run, case):
        return None
    try:
        outcome = _infer(run, case, tenant, mode, capability)
    except BaseException:
        EvalCaseClaim.objects.filter(run=run, case=case).delete()
        raise
    errors = (
        [outcome.error]
        if outcome.error
        else [
            e["message"]
            for e in schema_errors(
                capability.output_schema, outcome.output, key=(capability.id, capability.version, "output")
            )
        ]
    )
    scored = score_case(output=outcome.output, expected=case.expected, config=run.suite.config, schema_errors=errors)
    provenance = outcome.provenance
    try:
        with transaction.atomic():
            result = EvalCaseResult.objects.create(
                run=run,
                case=case,
                output=outcome.output,
                scores=scored.scores,
                failures=([outcome.error] if outcome.error else []) + scored.failures,
                passed=scored.passed and not outcome.error,
                inference_id=uuid.UUID(provenance["inference_id"]) if provenance.get("inference_id") else None,
                provider=provenance.get("provider", ""),
                model=provenance.get("model", ""),
                fallback_used=bool(provenance.get("fallback_used")),
                repaired=bool(provenance.get("repaired")),
                latency_ms=int(provenance.get("latency_ms") or 0),
                cost_usd=Decimal(provenance.get("cost_usd") or 0),
                error=outcome.error,
            )
            EvalCaseClaim.objects.filter(run=run, case=case).delete()
            EvalRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
    except IntegrityError:  # another worker took over an expired claim and recorded the case first
        return None
    return result


def eval_run_execute(
    *, run_id: uuid.UUID | str, progress: Progress | None = None, stop_after: int | None = None
) -> EvalRun:
    """Evaluate the cases without a result yet, then finish the run. Safe to call again at any
    point (after a crash, or twice at once). `stop_after`: evaluate at most that many (tests)."""
    run = EvalRun.objects.select_related("suite", "prompt_version__prompt").get(pk=run_id)
    if run.status in (EvalRun.Status.FINISHED, EvalRun.Status.FAILED):
        return run
    now = timezone.now()
    EvalRun.objects.filter(pk=run.pk, started_at__isnull=True).update(started_at=now)
    EvalRun.objects.filter(pk=run.pk).update(status=EvalRun.Status.RUNNING, heartbeat_at=now)
    tenant = eval_tenant()
    try:
        capability = _capability(run.suite)
    except Conflict as exc:
        return _fail(run, exc.message)
    if run.purpose == EvalRun.Purpose.SHADOW:
        return _execute_shadow(run, capability, stop_after)
    prompt = prompt_version_spec(run.prompt_version) if run.prompt_version else None
    mode = EvalMode(prompt=prompt, model=run.model_name)
    pending = run_cases(run).exclude(id__in=EvalCaseResult.objects.filter(run=run).values("case_id")).order_by("id")
    done = EvalCaseResult.objects.filter(run=run).count()
    for number, case in enumerate(pending, start=1):
        if stop_after is not None and number > stop_after:
            return EvalRun.objects.get(pk=run.pk)
        try:
            if evaluate_case(run=run, case=case, tenant=tenant, mode=mode, capability=capability) is not None:
                done += 1
        except EvalBudgetSpent as exc:
            return _fail(run, exc.message)
        if progress is not None:
            progress(done, run.cases_total)
    if EvalCaseClaim.objects.filter(run=run).exists():
        return EvalRun.objects.get(pk=run.pk)  # another worker is on a case: it finishes the run
    return eval_run_finish(run_id=run.pk)


def _execute_shadow(run: EvalRun, capability: CapabilitySpec, stop_after: int | None) -> EvalRun:
    from capabilities.replay import ReplayBudgetSpent
    from evals.services.shadow import shadow_run_execute

    try:
        shadow_run_execute(run, capability, stop_after=stop_after)
    except ReplayBudgetSpent as exc:
        return _fail(run, exc.message)
    if stop_after is not None and EvalCaseResult.objects.filter(run=run).count() < run.cases_total:
        return EvalRun.objects.get(pk=run.pk)
    return eval_run_finish(run_id=run.pk)


def _fail(run: EvalRun, error: str) -> EvalRun:
    EvalRun.objects.filter(pk=run.pk).update(
        status=EvalRun.Status.FAILED, error=error[:2000], finished_at=timezone.now()
    )
    return EvalRun.objects.get(pk=run.pk)


# The providers whose answer is no model's: the deterministic fallback, or nothing (an error). An
# edge model (anomaly classifier, photo scorer) and an in-process solver or tabular model are models:
# their answers measure what the suite measures. The provider is the first stage's: a second stage
# (capabilities/stages.py) only adds words to it, so Gemini explaining a verdict the rule fallback
# gave leaves the case degraded; the verdict the metrics score is still the rules'.
NO_MODEL_PROVIDERS = frozenset({"", DETERMINISTIC})


def scored_cases(run: EvalRun) -> list[ScoredCase]:
    return [
        ScoredCase(
            scores=r.scores,
            passed=r.passed,
            weight=r.case.weight if r.case else 1.0,
            latency_ms=r.latency_ms,
            cost_usd=float(r.cost_usd),
            fallback_used=r.fallback_used,
            repaired=r.repaired,
            degraded=r.provider in NO_MODEL_PROVIDERS,
        )
        for r in run.results.select_related("case")
    ]


@transaction.atomic
def eval_run_finish(*, run_id: uuid.UUID | str) -> EvalRun:
    """Metrics from every recorded case, the verdict against the run's thresholds; then, for a
    drift run, the comparison with its baseline."""
    run = EvalRun.objects.select_for_update().select_related("suite").get(pk=run_id)
    if run.status == EvalRun.Status.FINISHED:
        return run
    cases = scored_cases(run)
    wanted = [*run.suite.metrics, *(m for m in RUN_VALIDITY_METRICS if m not in run.suite.metrics)]
    run.metrics = aggregate(cases, wanted if run.suite.metrics else ())
    failures = threshold_failures(run.metrics, run.thresholds)
    if len(cases) < run.cases_total:
        failures.append(f"only {len(cases)} of {run.cases_total} cases were evaluated")
    run.verdict = EvalRun.Verdict.FAIL if failures else EvalRun.Verdict.PASS
    if no_model_answered(cases):
        # Every answer was the deterministic fallback's (or an error): the run says nothing about
        # the prompt or the model, so it neither passes nor fails, and promotes nothing.
        run.verdict = EvalRun.Verdict.INCONCLUSIVE
        failures.insert(
            0,
            "inconclusive: no model answered any case (every answer came from the deterministic "
            "fallback); check that the chain's providers are configured and reachable",
        )
    run.notes = "\n".join(failures)
    run.status, run.finished_at = EvalRun.Status.FINISHED, timezone.now()
    run.save(update_fields=["metrics", "verdict", "notes", "status", "finished_at"])
    if run.purpose == EvalRun.Purpose.DRIFT:
        from evals.services.drift import drift_compare_run

        drift_compare_run(run=run)
    return run


def eval_runs_resume_stale(*, older_than_minutes: int | None = None) -> list[str]:
    """Re-enqueue runs whose worker went quiet (crash, restart): queued or running, no case
    finished for a while. Executing a run twice is harmless (see the module docstring)."""
    minutes = older_than_minutes if older_than_minutes is not None else settings.EVAL_STALE_RUN_MINUTES
    cutoff = timezone.now() - timezone.timedelta(minutes=minutes)
    stale = EvalRun.objects.filter(status__in=[EvalRun.Status.QUEUED, EvalRun.Status.RUNNING]).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    )
    ids = [str(pk) for pk in stale.values_list("id", flat=True)]
    # the quiet worker's claims are as old as its silence: give their cases back to the resumed run
    EvalCaseClaim.objects.filter(
        run_id__in=ids, claimed_until__lt=cutoff + timezone.timedelta(seconds=CLAIM_SECONDS)
    ).delete()
    for run_id in ids:
        transaction.on_commit(lambda run_id=run_id: eval_run_enqueue(run_id=run_id))
    return ids
