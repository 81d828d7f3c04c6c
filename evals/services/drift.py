"""Drift detection on active versions (nightly, beat task `evals.drift_nightly`).

Two checks, each raising a DriftAlert and emitting `eval.drift_detected` through the outbox:

* eval: every suite with an active version (or, for a capability without a prompt, any earlier
  run) is re-run in full; when the run finishes, each metric the suite has a tolerance or a
  threshold for is compared with the baseline run (the version's latest finished manual run,
  usually the one that let it be promoted). Worse beyond the tolerance is a breach.
* production: over the last EVAL_DRIFT_WINDOW_DAYS, across every hotel tenant (the audited
  platform path; the eval tenant is left out), the HITL acceptance rate, the schema-repair rate
  and the fallback rate of each capability, against the EVAL_DRIFT_BASELINE_DAYS before that.
  A rate is compared only when both windows have EVAL_DRIFT_MIN_SAMPLES; worse beyond
  EVAL_DRIFT_SIGNAL_TOLERANCES is a breach.

An alert that is already open (not acknowledged) for the same suite, kind and metric is not
raised again.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from capabilities.models import InferenceRecord
from capabilities.selectors import capability_get
from evals.metrics import beyond_tolerance, regression, threshold_failures
from evals.models import DriftAlert, EvalRun, EvalSuite
from hitl.models import HitlGate
from hitl.selectors import DECIDED
from melmastoon_ai.outbox.services import outbox_emit
from melmastoon_ai.tenancy.context import platform_access
from prompts.models import PromptVersion
from prompts.selectors import active_version

DRIFT_TOPIC = "eval.drift_detected"
SIGNALS = ("hitl_acceptance_rate", "schema_repair_rate", "fallback_rate")
HIGHER_IS_BETTER_SIGNALS = frozenset({"hitl_acceptance_rate"})


def _raise(
    *,
    suite: EvalSuite,
    kind: str,
    breaches: list[dict],
    version: PromptVersion | None,
    run: EvalRun | None = None,
    baseline_run: EvalRun | None = None,
) -> list[DriftAlert]:
    """Alerts for the breaches not already open, and one outbox event for them (platform event)."""
    alerts = []
    with platform_access(actor="evals-drift", reason=f"drift alert {suite.key}"):
        for breach in breaches:
            if DriftAlert.objects.filter(
                suite=suite, kind=kind, metric=breach["metric"], acknowledged_at__isnull=True
            ).exists():
                continue
            alerts.append(
                DriftAlert.objects.create(
                    suite=suite,
                    prompt_version=version,
                    kind=kind,
                    metric=breach["metric"],
                    baseline_value=breach["baseline"],
                    observed_value=breach["observed"],
                    tolerance=breach["tolerance"],
                    run=run,
                    baseline_run=baseline_run,
                    details=breach,
                )
            )
        if alerts:
            outbox_emit(
                topic=DRIFT_TOPIC,
                key=suite.key,
                tenant_id=None,
                payload={
                    "suite": suite.key,
                    "capability": suite.capability_id,
                    "kind": kind,
                    "prompt_version": version.label if version else None,
                    "run_id": str(run.id) if run else None,
                    "baseline_run_id": str(baseline_run.id) if baseline_run else None,
                    "breaches": [alert.details for alert in alerts],
                    "alert_ids": [alert.id for alert in alerts],
                },
            )
    return alerts


def eval_breaches(*, observed: dict, baseline: dict, tolerances: dict, thresholds: dict) -> list[dict]:
    """Metrics worse than the baseline beyond their tolerance, or now missing a threshold the
    baseline met."""
    breaches = []
    for metric in sorted(set(tolerances) | set(thresholds)):
        value, base = observed.get(metric), baseline.get(metric)
        if not isinstance(value, int | float) or not isinstance(base, int | float):
            continue
        tolerance = float(tolerances.get(metric, 0.0))
        worse = regression(metric, value, base)
        if beyond_tolerance(worse, tolerance):
            breaches.append(
                {
                    "metric": metric,
                    "observed": value,
                    "baseline": base,
                    "tolerance": tolerance,
                    "worse_by": round(worse, 6),
                }
            )
    already_failing = {failure.split(":")[0] for failure in threshold_failures(baseline, thresholds)}
    for failure in threshold_failures(observed, thresholds):
        metric = failure.split(":")[0]
        if metric in already_failing:  # not drift: the baseline missed this threshold too
            continue
        if metric not in {b["metric"] for b in breaches} and isinstance(observed.get(metric), int | float):
            breaches.append(
                {
                    "metric": metric,
                    "observed": observed[metric],
                    "baseline": baseline.get(metric),
                    "tolerance": float(tolerances.get(metric, 0.0)),
                    "threshold": failure,
                }
            )
    return breaches


def drift_compare_run(*, run: EvalRun) -> list[DriftAlert]:
    """A finished drift run against its baseline run."""
    baseline = run.baseline
    if baseline is None or run.status != EvalRun.Status.FINISHED or run.verdict == EvalRun.Verdict.INCONCLUSIVE:
        return []  # a re-run no model answered measured nothing; production signals see the fallbacks
    breaches = eval_breaches(
        observed=run.metrics, baseline=baseline.metrics, tolerances=run.suite.tolerances, thresholds=run.thresholds
    )
    return _raise(
        suite=run.suite,
        kind=DriftAlert.Kind.EVAL,
        breaches=breaches,
        version=run.prompt_version,
        run=run,
        baseline_run=baseline,
    )


def baseline_run_for(*, suite: EvalSuite, version: PromptVersion | None) -> EvalRun | None:
    runs = EvalRun.objects.filter(
        suite=suite, prompt_version=version, status=EvalRun.Status.FINISHED, purpose=EvalRun.Purpose.MANUAL
    ).exclude(verdict=EvalRun.Verdict.INCONCLUSIVE)
    return runs.order_by("-finished_at").first()


def drift_schedule_runs() -> list[EvalRun]:
    """Queue a drift run for every suite whose capability has an active version and a baseline."""
    from evals.services.runs import eval_run_create

    queued = []
    for suite in EvalSuite.objects.filter(cases__enabled=True).distinct():
        capability = capability_get(capability_id=suite.capability_id)
        if capability is None:
            continue
        version = None
        if capability.prompt_key is not None:
            version = active_version(prompt_key=capability.prompt_key)
            if version is None:
                continue
        baseline = baseline_run_for(suite=suite, version=version)
        if baseline is None:
            continue  # nothing to drift from yet
        queued.append(
            eval_run_create(
                suite_key=suite.key,
                prompt_version=version.version if version else None,
                model_name=baseline.model_name,
                started_by="evals-drift",
                purpose=EvalRun.Purpose.DRIFT,
                baseline=baseline,
            )
        )
    return queued


def production_signals(*, capability_id: str, since: dt.datetime, until: dt.datetime) -> dict[str, dict]:
    """Per signal: {"rate", "samples"} for hotel traffic in [since, until). Platform path."""
    with platform_access(actor="evals-drift", reason=f"production signals of {capability_id}"):
        records = InferenceRecord.objects.filter(
            capability=capability_id, created_at__gte=since, created_at__lt=until, cache_hit=False
        ).exclude(tenant_id=settings.EVAL_TENANT_ID)
        counts = records.aggregate(
            total=Count("id"),
            repaired=Count("id", filter=Q(provenance__repaired=True)),
            fallback=Count("id", filter=Q(provenance__fallback_used=True)),
        )
        gates = HitlGate.objects.filter(
            capability=capability_id, decided_at__gte=since, decided_at__lt=until, status__in=DECIDED
        ).exclude(tenant_id=settings.EVAL_TENANT_ID)
        decided = gates.aggregate(decided=Count("id"), approved=Count("id", filter=Q(status=HitlGate.Status.APPROVED)))
    total, n_decided = counts["total"], decided["decided"]
    return {
        "schema_repair_rate": {"rate": counts["repaired"] / total if total else None, "samples": total},
        "fallback_rate": {"rate": counts["fallback"] / total if total else None, "samples": total},
        "hitl_acceptance_rate": {"rate": decided["approved"] / n_decided if n_decided else None, "samples": n_decided},
    }


def signal_breaches(*, current: dict, previous: dict, tolerances: dict, min_samples: int) -> list[dict]:
    breaches = []
    for name in SIGNALS:
        now, before = current[name], previous[name]
        if now["rate"] is None or before["rate"] is None:
            continue
        if now["samples"] < min_samples or before["samples"] < min_samples:
            continue
        worse = before["rate"] - now["rate"] if name in HIGHER_IS_BETTER_SIGNALS else now["rate"] - before["rate"]
        tolerance = float(tolerances.get(name, 0.0))
        if beyond_tolerance(worse, tolerance):
            breaches.append(
                {
                    "metric": name,
                    "observed": round(now["rate"], 6),
                    "baseline": round(before["rate"], 6),
                    "tolerance": tolerance,
                    "worse_by": round(worse, 6),
                    "samples": now["samples"],
                    "baseline_samples": before["samples"],
                }
            )
    return breaches


def drift_check_production(*, now: dt.datetime | None = None) -> list[DriftAlert]:
    now = now or timezone.now()
    window = dt.timedelta(days=settings.EVAL_DRIFT_WINDOW_DAYS)
    baseline_window = dt.timedelta(days=settings.EVAL_DRIFT_BASELINE_DAYS)
    alerts = []
    for suite in EvalSuite.objects.all():
        current = production_signals(capability_id=suite.capability_id, since=now - window, until=now)
        previous = production_signals(
            capability_id=suite.capability_id, since=now - window - baseline_window, until=now - window
        )
        breaches = signal_breaches(
            current=current,
            previous=previous,
            tolerances=settings.EVAL_DRIFT_SIGNAL_TOLERANCES,
            min_samples=settings.EVAL_DRIFT_MIN_SAMPLES,
        )
        for breach in breaches:
            breach["window"] = {"since": (now - window).isoformat(), "until": now.isoformat()}
        capability = capability_get(capability_id=suite.capability_id)
        version = None
        if capability is not None and capability.prompt_key:
            version = active_version(prompt_key=capability.prompt_key)
        alerts += _raise(suite=suite, kind=DriftAlert.Kind.PRODUCTION, breaches=breaches, version=version)
    return alerts


def drift_check_nightly() -> dict:
    """The nightly beat task's one service: queue the drift re-runs, then check production."""
    runs = drift_schedule_runs()
    alerts = drift_check_production()
    return {"drift_runs": [str(run.id) for run in runs], "production_alerts": len(alerts)}


def drift_acknowledge(*, alert_ids: list[int], actor: str) -> int:
    return DriftAlert.objects.filter(id__in=alert_ids, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_by=actor[:200]
    )
