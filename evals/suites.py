"""The declared metrics, reading config, thresholds and tolerances of the 15 catalog suites.

Thresholds are absolute ({"min": x} / {"max": y}); tolerances are how much worse than the
active version's latest run (or, for drift, than the baseline run) a metric may be. They start
deliberately modest: the starter golden sets are small, so one case is 5 % of a Phase 0 suite.
Edit them in admin once real golden sets grow; `seed_evals` only fills empty suites.

Where the starter expectations are stricter than today's answers (the deterministic fallback,
which is also what the fake providers answer, drafts Turkish, German and Urdu messages in
English and ranks add-ons differently from the expected first offer), the starter thresholds
sit at today's level so that they guard against regressions; raise them as quality improves.
"""

from __future__ import annotations

_COMMON = ["schema_valid_rate", "pass_rate", "fallback_rate", "latency_ms_p50", "latency_ms_p95", "cost_usd_mean"]
_COMMON_THRESHOLDS = {"schema_valid_rate": {"min": 1.0}}
_COMMON_TOLERANCES = {"schema_valid_rate": 0.0, "pass_rate": 0.05, "fallback_rate": 0.1}


def _suite(
    capability_id: str, metrics: list[str], config: dict, thresholds: dict, tolerances: dict, description: str
) -> dict:
    return {
        "capability_id": capability_id,
        "metrics": [*_COMMON, *metrics],
        "config": config,
        "thresholds": _COMMON_THRESHOLDS | thresholds,
        "tolerances": _COMMON_TOLERANCES | tolerances,
        "description": description,
    }


SUITES: dict[str, dict] = {
    "EVAL_PRICING_001": _suite(
        "pricing.suggest",
        ["mape", "field_match_rate"],
        {"numeric_field": "suggested_price.amount", "case_max_ape": 0.08},
        {"mape": {"max": 0.08}},
        {"mape": 0.02, "field_match_rate": 0.05},
        "Suggested price against the revenue manager's price for the night; currency kept.",
    ),
    "EVAL_FORECAST_001": _suite(
        "pricing.demand_forecast",
        ["mape", "field_match_rate"],
        {"case_max_ape": 0.25},
        {"mape": {"max": 0.25}},
        {"mape": 0.03},
        "Expected rooms sold per day against what was later sold.",
    ),
    "EVAL_HK_001": _suite(
        "housekeeping.route",
        ["field_match_rate"],
        {},
        {"field_match_rate": {"min": 0.8}},
        {"field_match_rate": 0.05},
        "Every room once, none late, the VIP first, walking no longer than the greedy route's (any order).",
    ),
    "EVAL_STAFF_001": _suite(
        "staff.shift_optimize",
        ["field_match_rate"],
        {},
        {"field_match_rate": {"min": 0.8}},
        {"field_match_rate": 0.05},
        "Unmet demand and assignment counts of the schedule.",
    ),
    "EVAL_ANOMALY_001": _suite(
        "anomaly.detect",
        ["accuracy", "precision", "recall", "f1"],
        {"label_field": "verdict", "positive_labels": ["anomalous", "suspicious"]},
        {"recall": {"min": 0.8}, "precision": {"min": 0.7}},
        {"recall": 0.05, "precision": 0.05, "accuracy": 0.05},
        "Verdicts on front-desk and payment event sequences; positive = anomalous or suspicious.",
    ),
    "EVAL_UPSELL_001": _suite(
        "upsell.recommend",
        ["field_match_rate"],
        {},
        {"field_match_rate": {"min": 0.45}},
        {"field_match_rate": 0.05},
        "Offers made: the expected add-on first, nothing already bought.",
    ),
    "EVAL_MSG_001": _suite(
        "message.draft",
        ["rubric_pass_rate", "field_match_rate"],
        {"text_field": "body"},
        {"rubric_pass_rate": {"min": 0.75}},
        {"rubric_pass_rate": 0.05},
        "Guest messages: names, dates and amounts present, no placeholders, right locale and length.",
    ),
    "EVAL_REVIEW_001": _suite(
        "review.summarize",
        ["field_match_rate", "rubric_pass_rate"],
        {"text_field": "summary"},
        {"field_match_rate": {"min": 0.7}},
        {"field_match_rate": 0.05},
        "Review counts, top positives and negatives.",
    ),
    "EVAL_BOOKING_001": _suite(
        "booking.conversion_hint",
        ["field_match_rate"],
        {},
        {"field_match_rate": {"min": 0.7}},
        {"field_match_rate": 0.05},
        "Hint codes for the booker's stage and objections, lite mode on slow networks.",
    ),
    "EVAL_TUTOR_001": _suite(
        "tutor.answer",
        ["rubric_pass_rate"],
        {"text_field": "answer"},
        {"rubric_pass_rate": {"min": 0.7}},
        {"rubric_pass_rate": 0.05},
        "Staff questions: the answer in the asker's locale, no invented policy, within length.",
    ),
    "EVAL_DESC_001": _suite(
        "description.generate",
        ["rubric_pass_rate", "field_match_rate"],
        {"text_field": "body"},
        {"rubric_pass_rate": {"min": 0.6}},
        {"rubric_pass_rate": 0.05},
        "Descriptions name the hotel, stay in locale and length, no superlatives we cannot prove.",
    ),
    "EVAL_TRANSLATE_001": _suite(
        "translation.draft",
        ["rubric_pass_rate", "field_match_rate"],
        {"text_field": "translated_text"},
        {"field_match_rate": {"min": 0.8}},
        {"field_match_rate": 0.05},
        "Target locale and direction, glossary terms kept.",
    ),
    "EVAL_OCR_001": _suite(
        "ocr.id_scan",
        ["field_match_rate"],
        {},
        {"field_match_rate": {"min": 0.8}},
        {"field_match_rate": 0.05},
        "Document type and manual-entry flag (no real identity documents).",
    ),
    "EVAL_STT_001": _suite(
        "stt.transcribe",
        ["field_match_rate"],
        {},
        {"field_match_rate": {"min": 0.8}},
        {"field_match_rate": 0.05},
        "Quick taps offered and manual input flag for the context.",
    ),
    "EVAL_VISION_001": _suite(
        "vision.photo_quality",
        ["accuracy", "precision", "recall", "f1"],
        {"label_field": "pass", "positive_labels": [False]},
        {"recall": {"min": 0.8}, "accuracy": {"min": 0.8}},
        {"recall": 0.05, "accuracy": 0.05},
        "Pass/fail on listing photos; positive = a photo that should be rejected.",
    ),
}
