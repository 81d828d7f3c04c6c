"""Eval metrics: pure functions, no Django, no database.

`score_case` judges one output against one golden case's expectations; `aggregate` turns the
per-case scores of a run into the suite's metrics; `verdict` checks them against thresholds.

A golden case's `expected` may hold any of:

    "output":  {...}                 the exact output (exact_match_rate)
    "fields":  {"a.b": value}        field-level match (field_match_rate)
    "at_most": {"a.b": 12.5}         the number there is no larger       } properties, not one exact
    "each_once": {"a.*.b": [v, ...]} those values, each once, any order } answer: each counts as a
    "never":   {"a.*.b": value}      no value there equals it            } field of field_match_rate
    "before":  {"a.*.b": [[x, y]]}   x comes before y there              }
    "label":   value                 the value at config.label_field (precision, recall, accuracy)
    "number":  123.4                 the value at config.numeric_field (MAPE)
    "numbers": {"days.0.x": 12}      several numeric fields, their mean absolute percentage error
    "rubric":  {"required": [...], "forbidden": [...], "locale": "fr", "min_length": 40, "max_length": 900}
               checked on the text at config.text_field (rubric_pass_rate)

A `*` in those paths stands for every item of a list ("stops.*.room_number": the room of each
stop, in order). The suite's `config` says where to read: label_field, positive_labels, numeric_field,
text_field, locale_field (default "locale") and case_max_ape (default 0.10: a case whose error
is larger fails).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

DEFAULT_CASE_MAX_APE = 0.10
RTL_LOCALES = frozenset({"ar", "fa", "fa-AF", "prs", "ps", "ur"})
_MISSING = object()

# Every metric a suite may declare; anything else is a configuration error.
KNOWN_METRICS = (
    "schema_valid_rate",
    "pass_rate",
    "exact_match_rate",
    "field_match_rate",
    "accuracy",
    "precision",
    "recall",
    "f1",
    "mape",
    "rubric_pass_rate",
    "latency_ms_p50",
    "latency_ms_p95",
    "latency_ms_mean",
    "cost_usd_mean",
    "cost_usd_total",
    "fallback_rate",
    "repair_rate",
    "degraded_rate",
)
# Lower is better for these; higher for every other metric.
LOWER_IS_BETTER = frozenset(
    {
        "mape",
        "latency_ms_p50",
        "latency_ms_p95",
        "latency_ms_mean",
        "cost_usd_mean",
        "cost_usd_total",
        "fallback_rate",
        "repair_rate",
        "degraded_rate",
    }
)
# Recorded on every run, whatever its suite declares: whether a model answered at all decides
# whether the run measured anything (a run no model answered is inconclusive).
RUN_VALIDITY_METRICS = ("degraded_rate",)


@dataclass
class CaseScore:
    scores: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class ScoredCase:
    """What `aggregate` needs of one case's result."""

    scores: dict[str, Any]
    passed: bool
    weight: float = 1.0
    latency_ms: float = 0.0
    cost_usd: float = 0.0
    fallback_used: bool = False
    repaired: bool = False
    degraded: bool = False  # no model answered: the deterministic fallback did, or the case errored


def no_model_answered(cases: Sequence[ScoredCase]) -> bool:
    """True when there were cases and not one of them was answered by a model."""
    return bool(cases) and all(case.degraded for case in cases)


def get_path(value: object, path: str, default: object = _MISSING) -> object:
    """`a.b.0.c` into nested dicts and lists; `default` (or a sentinel) when absent."""
    current = value
    for part in path.split(".") if path else []:
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.lstrip("-").isdigit() and -len(current) <= int(part) < len(current):
            current = current[int(part)]
        else:
            return default
    return current


def get_all(value: object, path: str) -> list:
    """Every value at a path whose `*` parts stand for each item of a list, in order; the
    absent ones left out."""
    head, star, rest = path.partition("*")
    if not star:
        found = get_path(value, path)
        return [] if found is _MISSING else [found]
    items = get_path(value, head.rstrip("."), None) if head.rstrip(".") else value
    if not isinstance(items, list):
        return []
    return [found for item in items for found in get_all(item, rest.lstrip("."))]


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def property_checks(output: object, expected: dict) -> list[tuple[str, bool]]:
    """The property expectations of a case (at_most, each_once, never, before) as (what was
    wanted, whether the output has it): what a route, a schedule or a ranking must respect
    whatever order a better solver finds."""
    checks = []
    for path, bound in (expected.get("at_most") or {}).items():
        got = get_path(output, path, None)
        ok = (
            isinstance(got, int | float)
            and not isinstance(got, bool)
            and (got <= bound or math.isclose(got, bound, rel_tol=1e-9, abs_tol=1e-9))
        )
        checks.append((f"{path}: at most {bound!r}, got {got!r}", ok))
    for path, items in (expected.get("each_once") or {}).items():
        got = get_all(output, path)
        ok = sorted(map(_canonical, got)) == sorted(map(_canonical, items))
        checks.append((f"{path}: each of {len(items)} expected value(s) once, got {got[:20]!r}", ok))
    for path, value in (expected.get("never") or {}).items():
        got = get_all(output, path)
        checks.append((f"{path}: never {value!r}", not any(values_equal(item, value) for item in got)))
    for path, pairs in (expected.get("before") or {}).items():
        got = get_all(output, path)
        for first, then in pairs:
            ok = first in got and then in got and got.index(first) < got.index(then)
            checks.append((f"{path}: {first!r} before {then!r}", ok))
    return checks


def values_equal(actual: object, expected: object) -> bool:
    """JSON equality, with numbers compared as numbers (1 == 1.0, and float noise ignored)."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(values_equal(actual[k], expected[k]) for k in expected)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(actual) == len(expected) and all(values_equal(a, e) for a, e in zip(actual, expected, strict=True))
    return actual == expected


def absolute_percentage_error(predicted: object, expected: float) -> float | None:
    """|predicted - expected| / |expected|; None when undefined (expected 0) or not a number.
    A missing or non-numeric prediction is an error of 1.0 (100 %)."""
    if not isinstance(expected, int | float) or isinstance(expected, bool) or expected == 0:
        return None
    if not isinstance(predicted, int | float) or isinstance(predicted, bool) or not math.isfinite(predicted):
        return 1.0
    return abs(predicted - expected) / abs(expected)


def _script_of(char: str) -> str:
    try:
        name = unicodedata.name(char)
    except ValueError:
        return "other"
    if name.startswith("ARABIC"):
        return "arabic"
    if name.startswith("LATIN"):
        return "latin"
    return "other"


def text_script(text: str) -> str:
    """The script most letters of the text are written in: arabic, latin or other."""
    counts: dict[str, int] = {}
    for char in text:
        if char.isalpha():
            script = _script_of(char)
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=counts.get) if counts else "other"


def locale_matches(text: str, declared: object, expected_locale: str) -> bool:
    """The output says it is in the expected locale and its letters are in that locale's script."""
    if declared is not _MISSING and declared != expected_locale:
        return False
    script = text_script(text)
    return script == "arabic" if expected_locale in RTL_LOCALES else script == "latin"


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).casefold()


def rubric_failures(text: object, rubric: dict, *, declared_locale: object = _MISSING) -> list[str]:
    """The rubric checks a text fails: required facts, forbidden content, locale, length bounds."""
    if not isinstance(text, str):
        return ["rubric: no text to check"]
    failures = []
    haystack = _normalise(text)
    for fact in rubric.get("required", []):
        options = fact if isinstance(fact, list) else [fact]  # a list: any one of these spellings
        if not any(_normalise(str(option)) in haystack for option in options):
            failures.append(f"rubric: required fact missing: {options[0]!r}")
    for banned in rubric.get("forbidden", []):
        if _normalise(str(banned)) in haystack:
            failures.append(f"rubric: forbidden content present: {banned!r}")
    if "locale" in rubric and not locale_matches(text, declared_locale, rubric["locale"]):
        failures.append(f"rubric: not in locale {rubric['locale']}")
    if "min_length" in rubric and len(text) < rubric["min_length"]:
        failures.append(f"rubric: {len(text)} characters, fewer than {rubric['min_length']}")
    if "max_length" in rubric and len(text) > rubric["max_length"]:
        failures.append(f"rubric: {len(text)} characters, more than {rubric['max_length']}")
    return failures


def score_case(*, output: object, expected: dict, config: dict, schema_errors: Sequence[str] = ()) -> CaseScore:
    """Judge one output. `schema_errors`: the output schema's complaints (empty when valid)."""
    result = CaseScore()
    result.scores["schema_valid"] = not schema_errors and output is not None
    if not result.scores["schema_valid"]:
        result.failures.append(
            "output does not match the output schema" + (f": {schema_errors[0]}" if schema_errors else "")
        )
    if "output" in expected:
        result.scores["exact"] = values_equal(output, expected["output"])
        if not result.scores["exact"]:
            result.failures.append("output differs from the expected output")
    fields = expected.get("fields") or {}
    checks = property_checks(output, expected)
    if fields or checks:
        matched = [
            path for path, value in fields.items() if values_equal(get_path(output, path), value)
        ]  # absent never matches, not even null
        result.scores["field_match"] = (len(matched) + sum(ok for _, ok in checks)) / (len(fields) + len(checks))
        for path, value in fields.items():
            if path not in matched:
                got = get_path(output, path)
                result.failures.append(f"{path}: expected {value!r}, got {'nothing' if got is _MISSING else repr(got)}")
        result.failures.extend(wanted for wanted, ok in checks if not ok)
    if "label" in expected:
        label_field = config.get("label_field", "label")
        predicted = get_path(output, label_field, None)
        positives = config.get("positive_labels", [True])
        result.scores["label_expected"] = expected["label"]
        result.scores["label_predicted"] = predicted
        result.scores["expected_positive"] = expected["label"] in positives
        result.scores["predicted_positive"] = predicted in positives
        if not values_equal(predicted, expected["label"]):
            result.failures.append(f"{label_field}: expected {expected['label']!r}, got {predicted!r}")
    numbers = dict(expected.get("numbers") or {})
    if "number" in expected:
        numbers[config.get("numeric_field", "value")] = expected["number"]
    errors = [
        (path, ape)
        for path, value in numbers.items()
        if (ape := absolute_percentage_error(get_path(output, path, None), value)) is not None
    ]
    if errors:
        ape = sum(error for _, error in errors) / len(errors)
        result.scores["ape"] = ape
        limit = float(config.get("case_max_ape", DEFAULT_CASE_MAX_APE))
        if ape > limit and not math.isclose(ape, limit):
            result.failures.append(f"numeric error {ape:.1%} above {limit:.0%}")
    if expected.get("rubric"):
        text = get_path(output, config.get("text_field", "text"), None)
        declared = get_path(output, config.get("locale_field", "locale"))
        failed = rubric_failures(text, expected["rubric"], declared_locale=declared)
        result.scores["rubric_pass"] = not failed
        result.failures.extend(failed)
    return result


def _weighted_mean(pairs: Iterable[tuple[float, float]]) -> float | None:
    total = weight_sum = 0.0
    for value, weight in pairs:
        total += float(value) * weight
        weight_sum += weight
    return total / weight_sum if weight_sum else None


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least pct % of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return float(ordered[rank - 1])


def _ratio(numerator: float, denominator: float, *, empty: float) -> float:
    return numerator / denominator if denominator else empty


def aggregate(cases: Sequence[ScoredCase], metrics: Sequence[str] = ()) -> dict[str, float]:
    """The run's metrics from its cases (weights apply to quality metrics, not to latency or cost).
    Only `metrics` are returned when given; a metric with no case to measure it is left out."""
    unknown = set(metrics) - set(KNOWN_METRICS)
    if unknown:
        raise ValueError(f"unknown metrics: {sorted(unknown)}")
    out: dict[str, float | None] = {}
    out["schema_valid_rate"] = _weighted_mean((c.scores.get("schema_valid", False), c.weight) for c in cases)
    out["pass_rate"] = _weighted_mean((c.passed, c.weight) for c in cases)
    out["exact_match_rate"] = _weighted_mean((c.scores["exact"], c.weight) for c in cases if "exact" in c.scores)
    out["field_match_rate"] = _weighted_mean(
        (c.scores["field_match"], c.weight) for c in cases if "field_match" in c.scores
    )
    labelled = [c for c in cases if "label_expected" in c.scores]
    if labelled:
        tp = sum(c.weight for c in labelled if c.scores["expected_positive"] and c.scores["predicted_positive"])
        fp = sum(c.weight for c in labelled if not c.scores["expected_positive"] and c.scores["predicted_positive"])
        fn = sum(c.weight for c in labelled if c.scores["expected_positive"] and not c.scores["predicted_positive"])
        # Nothing to find and nothing claimed is perfect; claims with nothing to find are not.
        out["precision"] = _ratio(tp, tp + fp, empty=1.0 if fn == 0 else 0.0)
        out["recall"] = _ratio(tp, tp + fn, empty=1.0 if fp == 0 else 0.0)
        p, r = out["precision"], out["recall"]
        out["f1"] = _ratio(2 * p * r, p + r, empty=0.0)
        out["accuracy"] = _weighted_mean(
            (values_equal(c.scores["label_predicted"], c.scores["label_expected"]), c.weight) for c in labelled
        )
    out["mape"] = _weighted_mean((c.scores["ape"], c.weight) for c in cases if "ape" in c.scores)
    out["rubric_pass_rate"] = _weighted_mean(
        (c.scores["rubric_pass"], c.weight) for c in cases if "rubric_pass" in c.scores
    )
    latencies = [float(c.latency_ms) for c in cases]
    out["latency_ms_p50"] = percentile(latencies, 50)
    out["latency_ms_p95"] = percentile(latencies, 95)
    out["latency_ms_mean"] = sum(latencies) / len(latencies) if latencies else None
    costs = [float(c.cost_usd) for c in cases]
    out["cost_usd_total"] = sum(costs) if costs else None
    out["cost_usd_mean"] = sum(costs) / len(costs) if costs else None
    out["fallback_rate"] = sum(c.fallback_used for c in cases) / len(cases) if cases else None
    out["repair_rate"] = sum(c.repaired for c in cases) / len(cases) if cases else None
    out["degraded_rate"] = sum(c.degraded for c in cases) / len(cases) if cases else None
    wanted = metrics or KNOWN_METRICS
    return {name: round(out[name], 6) for name in wanted if out.get(name) is not None}


def threshold_failures(metrics: dict[str, float], thresholds: dict[str, dict]) -> list[str]:
    """Why the metrics miss their absolute thresholds ({"min": x} and/or {"max": y}); empty: pass."""
    failures = []
    for name, bound in sorted(thresholds.items()):
        value = metrics.get(name)
        if value is None:
            failures.append(f"{name}: not measured")
        elif "min" in bound and value < bound["min"] and not math.isclose(value, bound["min"]):
            failures.append(f"{name}: {value:g} below the minimum {bound['min']:g}")
        elif "max" in bound and value > bound["max"] and not math.isclose(value, bound["max"]):
            failures.append(f"{name}: {value:g} above the maximum {bound['max']:g}")
    return failures


# Metrics are floats: 0.99 - 0.94 is 0.05000000000000004, which must count as "within 0.05".
TOLERANCE_SLACK = 1e-9


def beyond_tolerance(worse: float, tolerance: float) -> bool:
    """Is a regression of `worse` more than `tolerance` (exactly at it is within)?"""
    return worse > tolerance and not math.isclose(worse, tolerance, abs_tol=TOLERANCE_SLACK)


def regression(metric: str, observed: float, baseline: float) -> float:
    """How much worse `observed` is than `baseline` (negative: better), by the metric's direction."""
    return observed - baseline if metric in LOWER_IS_BETTER else baseline - observed
