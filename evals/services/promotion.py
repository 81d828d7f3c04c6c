"""The promotion gate: may this prompt version become active? (seed 001 decision 5)

A version passes when its latest finished run has verdict `pass` and, on every metric the
suite's thresholds or tolerances name, is not worse than the active version's latest conclusive
run beyond the suite's tolerance. A run no model answered is inconclusive: it passes nothing and
is no baseline. An active version with no conclusive run leaves nothing to compare with, so the
gate refuses until the suite has run on it. Runs themselves are in evals.services.runs, drift in
evals.services.drift.

Promotion lives here, above the prompt registry: `prompt_version_promote` checks the evidence and
the registry's lifecycle rules, then drives the registry's plain `prompt_version_activate`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F

from evals.metrics import LOWER_IS_BETTER, beyond_tolerance
from evals.models import EvalRun
from prompts.models import PromptVersion
from prompts.services import (
    LifecycleRefused,
    active_version_other_than,
    check_lifecycle,
    locked_version,
    prompt_version_activate,
)


@dataclass
class MetricComparison:
    metric: str
    candidate: float | None
    active: float | None
    threshold: dict
    tolerance: float
    ok: bool
    reason: str = ""


@dataclass
class GateDecision:
    allowed: bool
    reasons: list[str] = field(default_factory=list)
    comparisons: list[MetricComparison] = field(default_factory=list)
    candidate_run: EvalRun | None = None
    active_run: EvalRun | None = None


CONCLUSIVE_VERDICTS = (EvalRun.Verdict.PASS, EvalRun.Verdict.FAIL)


def latest_finished_run(prompt_version, *, conclusive: bool = False) -> EvalRun | None:
    """The version's latest finished run; with `conclusive`, the latest that measured something."""
    runs = EvalRun.objects.filter(prompt_version=prompt_version, status=EvalRun.Status.FINISHED)
    if conclusive:
        runs = runs.filter(verdict__in=CONCLUSIVE_VERDICTS)
    # PostgreSQL sorts NULLs first when descending: a finished run missing its finish time must
    # not pass for the latest one.
    return runs.select_related("suite").order_by(F("finished_at").desc(nulls_last=True), "-created_at").first()


def _lower_is_better(metric: str, threshold: dict) -> bool:
    if metric in LOWER_IS_BETTER:
        return True
    return "max" in threshold and "min" not in threshold


def _compare(metric: str, threshold: dict, tolerance: float, candidate: dict, active: dict | None) -> MetricComparison:
    value = candidate.get(metric)
    baseline = active.get(metric) if active else None
    row = MetricComparison(metric, value, baseline, threshold, tolerance, ok=True)
    if not isinstance(value, int | float):
        row.ok, row.reason = False, "metric missing from the run"
        return row
    if "min" in threshold and value < threshold["min"]:
        row.ok, row.reason = False, f"{value:g} below the minimum {threshold['min']:g}"
    elif "max" in threshold and value > threshold["max"]:
        row.ok, row.reason = False, f"{value:g} above the maximum {threshold['max']:g}"
    elif isinstance(baseline, int | float):
        worse = value - baseline if _lower_is_better(metric, threshold) else baseline - value
        if beyond_tolerance(worse, tolerance):
            row.ok, row.reason = False, f"worse than the active version by {worse:g} (tolerance {tolerance:g})"
    return row


def promotion_gate(prompt_version, active_version=None) -> GateDecision:
    run = latest_finished_run(prompt_version)
    if run is None:
        return GateDecision(False, ["no finished evaluation run is recorded for this version"])
    decision = GateDecision(True, candidate_run=run)
    if run.verdict == EvalRun.Verdict.INCONCLUSIVE:
        decision.allowed = False
        decision.reasons.append(f"its latest evaluation run ({run.id}) is inconclusive: no model answered any case")
    elif run.verdict != EvalRun.Verdict.PASS:
        decision.allowed = False
        decision.reasons.append(f"its latest evaluation run ({run.id}) did not pass")
    active_run = latest_finished_run(active_version, conclusive=True) if active_version is not None else None
    decision.active_run = active_run
    if active_version is not None and active_run is None:
        decision.allowed = False
        decision.reasons.append(
            f"the active version {active_version.label} has no conclusive evaluation run to "
            "compare with; run the suite on it first"
        )
    thresholds = run.thresholds or run.suite.thresholds
    tolerances = run.suite.tolerances
    for metric in sorted(set(thresholds) | set(tolerances)):
        threshold = thresholds.get(metric, {})
        tolerance = float(tolerances.get(metric, 0.0))
        if (
            metric not in thresholds
            and metric not in run.metrics
            and metric not in (active_run.metrics if active_run else {})
        ):
            continue  # a tolerance on a metric neither run measured

        row = _compare(metric, threshold, tolerance, run.metrics, active_run.metrics if active_run else None)
        decision.comparisons.append(row)
        if not row.ok:
            decision.allowed = False
            decision.reasons.append(f"{metric}: {row.reason}")
    return decision


def check_promotion(version: PromptVersion, *, now: dt.datetime | None = None) -> GateDecision:
    """Why a version may or may not become active: its evaluation evidence against the active
    version's, then the registry's lifecycle rules (status, canary review period)."""
    decision = promotion_gate(version, active_version_other_than(version))
    lifecycle = check_lifecycle(version, now=now)
    if lifecycle.reasons:
        decision.allowed = False
        # The status reason reads first: it makes the others moot.
        decision.reasons = ([lifecycle.status] if lifecycle.status else []) + decision.reasons + lifecycle.canary
    return decision


@transaction.atomic
def prompt_version_promote(*, version_id: int, now: dt.datetime | None = None) -> PromptVersion:
    """Eval-gated promotion: refused (409 lifecycle_refused, with the reasons) unless the gate
    passes; the check and the activation run under one lock of the prompt's row."""
    version = locked_version(version_id)
    decision = check_promotion(version, now=now)
    if not decision.allowed:
        raise LifecycleRefused(f"{version.label} cannot be promoted", details={"reasons": decision.reasons})
    return prompt_version_activate(version_id=version.id, now=now)
