"""Provider moderation scores mapped onto our categories (recorded payload shapes)."""

from __future__ import annotations

from guardrails.moderation import DEFAULT_THRESHOLDS, combine, verdict_from_scores
from guardrails.provider_scores import from_gemini_safety_ratings, from_openai_categories

# The shape of `results[0].category_scores` of the OpenAI moderation endpoint (omni-moderation).
OPENAI_CATEGORY_SCORES = {
    "harassment": 0.41,
    "harassment/threatening": 0.87,
    "hate": 0.02,
    "hate/threatening": 0.01,
    "illicit": 0.05,
    "illicit/violent": 0.03,
    "self-harm": 0.001,
    "self-harm/intent": 0.0005,
    "self-harm/instructions": 0.0002,
    "sexual": 0.003,
    "sexual/minors": 0.0001,
    "violence": 0.64,
    "violence/graphic": 0.01,
}
# The shape of `candidates[0].safetyRatings` of a Gemini generateContent response.
GEMINI_SAFETY_RATINGS = [
    {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE", "probabilityScore": 0.04},
    {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "MEDIUM", "probabilityScore": 0.58},
    {"category": "HARM_CATEGORY_HARASSMENT", "probability": "LOW", "probabilityScore": 0.22},
    {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "NEGLIGIBLE", "probabilityScore": 0.01},
]


def test_openai_scores_take_the_highest_of_the_mapped_categories():
    assert from_openai_categories(OPENAI_CATEGORY_SCORES) == {
        "harm_high": 0.87,
        "hate": 0.02,
        "sexual": 0.003,
        "dangerous": 0.05,
    }


def test_openai_sdk_attribute_names_map_the_same_way():
    sdk_style = {"harassment_threatening": 0.2, "self_harm_intent": 0.93, "illicit_violent": 0.7, "sexual_minors": 0.6}
    assert from_openai_categories(sdk_style) == {"harm_high": 0.93, "hate": 0.0, "sexual": 0.6, "dangerous": 0.7}


def test_gemini_ratings_use_scores_and_fall_back_to_probability_buckets():
    assert from_gemini_safety_ratings(GEMINI_SAFETY_RATINGS) == {
        "harm_high": 0.58,
        "hate": 0.04,
        "sexual": 0.01,
        "dangerous": 0.58,
    }
    buckets = [
        {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "HIGH"},
        {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "HARM_PROBABILITY_LOW"},
        {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE", "blocked": True},
    ]
    assert from_gemini_safety_ratings(buckets) == {"harm_high": 1.0, "hate": 0.9, "sexual": 0.3, "dangerous": 0.0}


def test_provider_scores_combine_with_the_local_verdict():
    provider = verdict_from_scores(
        from_openai_categories(OPENAI_CATEGORY_SCORES), thresholds=DEFAULT_THRESHOLDS, moderator="openai"
    )
    local = verdict_from_scores(
        {"harm_high": 0.1, "pii_exposed": 0.0}, thresholds=DEFAULT_THRESHOLDS, moderator="lexicon"
    )
    merged = combine([local, provider])
    assert merged.categories["harm_high"].score == 0.87 and merged.categories["harm_high"].flagged
    assert merged.verdict == "block"
    assert merged.moderators == ["lexicon", "openai"]
