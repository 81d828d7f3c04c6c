"""What the eval report page shows: metric rows with thresholds and the comparison run, each
metric's history over the suite's last runs as a server-rendered SVG line, and the per-case
results, failing cases first. Plain data and escaped HTML; no JavaScript."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from evals.metrics import LOWER_IS_BETTER, regression
from evals.models import EvalRun

HISTORY_RUNS = 20
CHART_WIDTH, CHART_HEIGHT, PAD, LABELS = 220, 48, 4, 36  # LABELS: room on the right for min/max


@dataclass
class MetricRow:
    name: str
    value: float | None
    threshold: str
    comparison: float | None
    delta: str
    tolerance: float | None
    worse: bool
    chart: SafeString


def comparison_run(run: EvalRun) -> EvalRun | None:
    """A drift run's baseline; else the active version's latest finished run (for a candidate)."""
    if run.baseline_id:
        return run.baseline
    from evals.services.promotion import latest_finished_run
    from prompts.models import PromptVersion

    if run.prompt_version is None:
        return None
    active = (
        PromptVersion.objects.filter(prompt=run.prompt_version.prompt, status=PromptVersion.Status.ACTIVE)
        .exclude(pk=run.prompt_version_id)
        .first()
    )
    return latest_finished_run(active) if active else None


def sparkline(values: list[float], *, current_index: int | None = None) -> SafeString:
    """An inline SVG polyline of the values (oldest left), the current run marked."""
    if not values:
        return format_html("<span>-</span>")
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (CHART_WIDTH - LABELS - 2 * PAD) / max(len(values) - 1, 1)
    points = [
        (PAD + i * step, CHART_HEIGHT - PAD - (value - low) / span * (CHART_HEIGHT - 2 * PAD))
        for i, value in enumerate(values)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    marker = ""
    if current_index is not None and 0 <= current_index < len(points):
        x, y = points[current_index]
        marker = format_html('<circle cx="{}" cy="{}" r="3" fill="#ba2121"/>', f"{x:.1f}", f"{y:.1f}")
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
        'aria-label="last {n} runs: {low} to {high}"><polyline fill="none" stroke="#417690" stroke-width="1.5" '
        'points="{path}"/>{marker}<text x="{w}" y="10" font-size="9" text-anchor="end">{high}</text>'
        '<text x="{w}" y="{h}" font-size="9" text-anchor="end">{low}</text></svg>',
        w=CHART_WIDTH,
        h=CHART_HEIGHT,
        n=len(values),
        low=f"{low:g}",
        high=f"{high:g}",
        path=path,
        marker=marker,
    )


def history(run: EvalRun) -> list[EvalRun]:
    """The suite's last finished runs up to this one, oldest first."""
    finished = EvalRun.objects.filter(
        suite_id=run.suite_id, status=EvalRun.Status.FINISHED, created_at__lte=run.created_at
    ).order_by("-created_at")[:HISTORY_RUNS]
    return list(reversed(finished))


def metric_rows(run: EvalRun) -> list[MetricRow]:
    other = comparison_run(run)
    past = history(run)
    names = list(dict.fromkeys([*run.suite.metrics, *run.metrics]))
    rows = []
    for name in names:
        value = run.metrics.get(name)
        bound = run.thresholds.get(name, {})
        threshold = " ".join(f"{key} {limit:g}" for key, limit in bound.items())
        baseline = other.metrics.get(name) if other else None
        tolerance = run.suite.tolerances.get(name)
        delta, worse = "", False
        if isinstance(value, int | float) and isinstance(baseline, int | float):
            delta = f"{value - baseline:+.4g}"
            worse = regression(name, value, baseline) > float(tolerance or 0) + 1e-9
        series = [(r.metrics.get(name), r.pk == run.pk) for r in past if isinstance(r.metrics.get(name), int | float)]
        current = next((i for i, (_, mine) in enumerate(series) if mine), None)
        chart = sparkline([value for value, _ in series], current_index=current)
        rows.append(MetricRow(name, value, threshold, baseline, delta, tolerance, worse, chart))
    return rows


def case_rows(run: EvalRun) -> list[dict]:
    """Failing cases first, then by key; expected and output as pretty JSON for the diff."""
    results = run.results.select_related("case").order_by("passed", "case__key", "replayed_inference_id")
    return [
        {
            **_case_fields(result),
            "passed": result.passed,
            "failures": result.failures,
            "provider": result.provider,
            "model": result.model,
            "latency_ms": result.latency_ms,
            "cost_usd": result.cost_usd,
            "fallback_used": result.fallback_used,
            "output": json.dumps(result.output, ensure_ascii=False, indent=1)[:4000],
        }
        for result in results
    ]


def _case_fields(result) -> dict:
    """A golden case's key, tags, locale, weight and expectation; a shadow run's case is the
    production inference it replayed, expected to answer as it was served."""
    case = result.case
    if case is None:
        return {
            "key": f"inference:{result.replayed_inference_id}",
            "tags": "shadow",
            "locale": "",
            "weight": 1.0,
            "expected": f"the answer served by inference {result.replayed_inference_id}",
        }
    return {
        "key": case.key,
        "tags": ", ".join(case.tags),
        "locale": case.locale,
        "weight": case.weight,
        "expected": json.dumps(case.expected, ensure_ascii=False, indent=1)[:4000],
    }


def direction(name: str) -> str:
    return "lower is better" if name in LOWER_IS_BETTER else "higher is better"


def failures_html(failures: list[str]) -> SafeString:
    return format_html_join("", "<li>{}</li>", [(failure,) for failure in failures])
