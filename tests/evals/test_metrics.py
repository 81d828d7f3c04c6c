"""The metric functions, on hand-worked examples and as properties (hypothesis)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evals.metrics import (
    KNOWN_METRICS,
    ScoredCase,
    absolute_percentage_error,
    aggregate,
    get_all,
    get_path,
    locale_matches,
    percentile,
    property_checks,
    regression,
    rubric_failures,
    score_case,
    threshold_failures,
    values_equal,
)


def labelled(expected, predicted, positives=("anomalous",), weight=1.0) -> ScoredCase:
    score = score_case(
        output={"verdict": predicted},
        expected={"label": expected},
        config={"label_field": "verdict", "positive_labels": list(positives)},
    )
    return ScoredCase(score.scores, score.passed, weight)


def test_precision_and_recall_on_a_worked_confusion_matrix():
    # 3 true positives, 1 false positive, 2 false negatives, 4 true negatives
    cases = (
        [labelled("anomalous", "anomalous")] * 3
        + [labelled("normal", "anomalous")]
        + [labelled("anomalous", "normal")] * 2
        + [labelled("normal", "normal")] * 4
    )
    metrics = aggregate(cases, ["precision", "recall", "f1", "accuracy", "pass_rate"])
    assert metrics["precision"] == 0.75
    assert metrics["recall"] == 0.6
    assert metrics["f1"] == pytest.approx(2 * 0.75 * 0.6 / 1.35, abs=1e-6)
    assert metrics["accuracy"] == 0.7
    assert metrics["pass_rate"] == 0.7


def test_a_wrong_positive_class_still_counts_as_found():
    """suspicious and anomalous are both positives: recall does not care which one was said."""
    case = labelled("anomalous", "suspicious", positives=("anomalous", "suspicious"))
    metrics = aggregate([case], ["precision", "recall", "accuracy"])
    assert metrics == {"precision": 1.0, "recall": 1.0, "accuracy": 0.0}


def test_nothing_to_find_and_nothing_claimed_is_perfect():
    assert aggregate([labelled("normal", "normal")], ["precision", "recall"]) == {"precision": 1.0, "recall": 1.0}


def test_mape_is_weighted_and_a_case_above_its_limit_fails():
    near = score_case(output={"p": 105}, expected={"number": 100}, config={"numeric_field": "p"})
    far = score_case(output={"p": 130}, expected={"number": 100}, config={"numeric_field": "p", "case_max_ape": 0.1})
    assert near.passed and near.scores["ape"] == pytest.approx(0.05)
    assert not far.passed and "numeric error 30.0% above 10%" in far.failures[0]
    metrics = aggregate([ScoredCase(near.scores, True, 1.0), ScoredCase(far.scores, False, 3.0)], ["mape"])
    assert metrics["mape"] == pytest.approx((0.05 + 3 * 0.3) / 4)


def test_a_missing_number_is_a_full_error_and_an_expected_zero_is_not_scored():
    assert absolute_percentage_error(None, 50) == 1.0
    assert absolute_percentage_error("50", 50) == 1.0
    assert absolute_percentage_error(3, 0) is None


def test_field_match_is_the_share_of_expected_fields():
    score = score_case(
        output={"a": {"b": 1}, "c": [{"d": "x"}]},
        expected={"fields": {"a.b": 1.0, "c.0.d": "x", "c.1.d": "y", "e": None}},
        config={},
    )
    assert score.scores["field_match"] == 0.5
    assert score.failures == ["c.1.d: expected 'y', got nothing", "e: expected None, got nothing"]


def test_exact_match_compares_json_values():
    assert values_equal({"a": [1, 2.0]}, {"a": [1.0, 2]})
    assert not values_equal({"a": True}, {"a": 1})
    assert score_case(output={"x": 1}, expected={"output": {"x": 1}}, config={}).scores["exact"] is True
    assert score_case(output={"x": 1, "y": 2}, expected={"output": {"x": 1}}, config={}).scores["exact"] is False


def test_schema_errors_fail_the_case_and_the_rate():
    bad = score_case(output={"x": 1}, expected={}, config={}, schema_errors=["'y' is a required property"])
    good = score_case(output={"x": 1}, expected={}, config={})
    assert not bad.passed and bad.failures[0].endswith("'y' is a required property")
    metrics = aggregate([ScoredCase(bad.scores, False), ScoredCase(good.scores, True)], ["schema_valid_rate"])
    assert metrics == {"schema_valid_rate": 0.5}


RUBRIC = {
    "required": ["Sarah", ["MLM-1234", "MLM 1234"]],
    "forbidden": ["{{", "lorem ipsum"],
    "locale": "en",
    "min_length": 20,
    "max_length": 200,
}


def test_a_text_meeting_the_rubric_passes():
    assert rubric_failures("Dear Sarah, your booking MLM 1234 is confirmed.", RUBRIC, declared_locale="en") == []


@pytest.mark.parametrize(
    ("text", "declared", "failure"),
    [
        ("Dear guest, your booking MLM-1234 is confirmed.", "en", "required fact missing: 'Sarah'"),
        ("Dear Sarah, booking MLM-1234 for {{guest}} is confirmed.", "en", "forbidden content present: '{{'"),
        ("Dear Sarah, booking MLM-1234 is confirmed.", "fr", "not in locale en"),
        ("عزيزتي Sarah، تم تأكيد حجزك MLM-1234 في فندقنا", "en", "not in locale en"),
        ("Sarah MLM-1234", "en", "fewer than 20"),
        ("Dear Sarah, MLM-1234. " + "x" * 200, "en", "more than 200"),
    ],
)
def test_each_rubric_check_names_what_failed(text, declared, failure):
    failures = rubric_failures(text, RUBRIC, declared_locale=declared)
    assert any(failure in item for item in failures), failures


def test_right_to_left_locales_need_arabic_script():
    assert locale_matches("د کابل هوټل ته ښه راغلاست", "ps", "ps")
    assert not locale_matches("Welcome to the Kabul hotel", "ps", "ps")
    assert locale_matches("Bienvenue à l'hôtel", "fr", "fr")


def test_latency_percentiles_use_nearest_rank_and_cost_is_summed():
    cases = [ScoredCase({}, True, latency_ms=ms, cost_usd=0.001) for ms in (10, 20, 30, 40, 100)]
    metrics = aggregate(
        cases, ["latency_ms_p50", "latency_ms_p95", "latency_ms_mean", "cost_usd_total", "cost_usd_mean"]
    )
    assert metrics == {
        "latency_ms_p50": 30.0,
        "latency_ms_p95": 100.0,
        "latency_ms_mean": 40.0,
        "cost_usd_total": 0.005,
        "cost_usd_mean": 0.001,
    }


def test_unknown_metrics_are_refused_and_unmeasured_ones_left_out():
    with pytest.raises(ValueError, match="unknown metrics"):
        aggregate([], ["bleu"])
    assert aggregate([ScoredCase({"schema_valid": True}, True)], ["mape", "schema_valid_rate"]) == {
        "schema_valid_rate": 1.0
    }


def test_thresholds_and_direction():
    assert threshold_failures({"mape": 0.2, "recall": 0.9}, {"mape": {"max": 0.1}, "recall": {"min": 0.8}}) == [
        "mape: 0.2 above the maximum 0.1"
    ]
    assert threshold_failures({}, {"recall": {"min": 0.8}}) == ["recall: not measured"]
    assert regression("mape", 0.12, 0.10) == pytest.approx(0.02)
    assert regression("recall", 0.85, 0.90) == pytest.approx(0.05)


def test_paths_reach_into_lists():
    assert get_path({"days": [{"n": 1}, {"n": 2}]}, "days.1.n") == 2
    assert get_path({"days": []}, "days.0.n", None) is None


# --- properties ------------------------------------------------------------------------------

unit = st.floats(min_value=0, max_value=1, allow_nan=False)
scored = st.builds(
    lambda valid, passed, weight, label, predicted, ape, latency: ScoredCase(
        {
            "schema_valid": valid,
            "label_expected": label,
            "label_predicted": predicted,
            "expected_positive": label,
            "predicted_positive": predicted,
            "ape": ape,
        },
        passed,
        weight,
        latency_ms=latency,
    ),
    st.booleans(),
    st.booleans(),
    st.floats(min_value=0.1, max_value=10),
    st.booleans(),
    st.booleans(),
    st.floats(min_value=0, max_value=5),
    st.floats(min_value=0, max_value=60_000),
)


@given(st.lists(scored, min_size=1, max_size=40))
def test_rates_stay_between_0_and_1_and_percentiles_are_ordered(cases):
    metrics = aggregate(cases)
    for name in ("schema_valid_rate", "pass_rate", "precision", "recall", "f1", "accuracy", "fallback_rate"):
        assert 0.0 <= metrics[name] <= 1.0, name
    # metrics are rounded to 6 decimals
    assert metrics["latency_ms_p50"] <= metrics["latency_ms_p95"] <= max(c.latency_ms for c in cases) + 1e-6
    assert min(c.scores["ape"] for c in cases) - 1e-6 <= metrics["mape"] <= max(c.scores["ape"] for c in cases) + 1e-6


@given(st.lists(scored, min_size=1, max_size=20), st.floats(min_value=0.1, max_value=100))
def test_scaling_every_weight_changes_no_metric(cases, factor):
    scaled = [ScoredCase(c.scores, c.passed, c.weight * factor, c.latency_ms) for c in cases]
    before, after = aggregate(cases), aggregate(scaled)
    assert before.keys() == after.keys()
    for name in before:
        assert math.isclose(before[name], after[name], rel_tol=1e-4, abs_tol=1e-5), name


@given(st.floats(min_value=0.01, max_value=1e6), st.floats(min_value=0, max_value=1e6))
def test_ape_is_symmetric_around_the_expected_value(expected, delta):
    assert math.isclose(
        absolute_percentage_error(expected + delta, expected),
        absolute_percentage_error(expected - delta, expected),
        rel_tol=1e-9,
        abs_tol=1e-12,
    )


@given(st.lists(st.floats(min_value=0, max_value=1e5), min_size=1, max_size=50), st.floats(min_value=1, max_value=100))
def test_percentile_is_one_of_the_values(values, pct):
    assert percentile(values, pct) in values


def test_every_known_metric_has_a_direction():
    assert set(KNOWN_METRICS) >= {"mape", "precision", "recall", "rubric_pass_rate"}


# --- property expectations (at_most, each_once, never, before) --------------------------------

ROUTE = {
    "walking_m": 28.0,
    "stops": [
        {"room_number": "305", "late": False},
        {"room_number": "101"},
        {"room_number": "102", "late": True},
    ],
}


def test_a_star_in_a_path_reads_every_item_of_the_list_in_order():
    assert get_all(ROUTE, "stops.*.room_number") == ["305", "101", "102"]
    assert get_all(ROUTE, "stops.*.late") == [False, True]  # absent values left out
    assert get_all(ROUTE, "walking_m") == [28.0] and get_all(ROUTE, "nothing.*.x") == []
    assert get_all({"a": [[1, 2], [3]]}, "a.*.*") == [1, 2, 3]


@pytest.mark.parametrize(
    ("expected", "met"),
    [
        ({"at_most": {"walking_m": 28.0}}, [True]),  # equal is within
        ({"at_most": {"walking_m": 27.9}}, [False]),
        ({"at_most": {"missing": 1}}, [False]),
        ({"each_once": {"stops.*.room_number": ["101", "102", "305"]}}, [True]),  # any order
        ({"each_once": {"stops.*.room_number": ["101", "102", "305", "305"]}}, [False]),  # once each
        ({"each_once": {"stops.*.room_number": ["101", "102"]}}, [False]),  # a stop too many
        ({"never": {"stops.*.late": True}}, [False]),
        ({"never": {"stops.*.late": "yes"}}, [True]),
        ({"before": {"stops.*.room_number": [["305", "101"], ["102", "101"], ["305", "999"]]}}, [True, False, False]),
    ],
)
def test_property_checks_hold_or_not_whatever_the_order(expected, met):
    assert [ok for _, ok in property_checks(ROUTE, expected)] == met


def test_property_checks_count_as_fields_of_field_match():
    expected = {
        "fields": {"walking_m": 28.0},
        "each_once": {"stops.*.room_number": ["101", "102", "305"]},
        "never": {"stops.*.late": True},
        "at_most": {"walking_m": 20.0},
    }
    scored = score_case(output=ROUTE, expected=expected, config={})
    assert scored.scores["field_match"] == 0.5
    assert scored.failures == ["walking_m: at most 20.0, got 28.0", "stops.*.late: never True"]
