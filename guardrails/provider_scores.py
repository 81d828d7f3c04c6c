"""How provider moderation scores map onto our categories. Pure functions: the provider adapters
(routing/providers/<name>/) call their SDK and pass the result here, then build a verdict with
`moderation.verdict_from_scores` and merge it with the local one through `moderation.combine`.

Neither provider scores personal data, so `pii_exposed` always comes from the local redactor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# OpenAI moderation `category_scores` (omni-moderation): each of ours is the highest of these.
OPENAI_CATEGORIES: dict[str, tuple[str, ...]] = {
    # threats and self-harm intent; `violence` alone also covers depictions, but a depiction in a hotel
    # message is rare enough that we accept it as high harm
    "harm_high": (
        "harassment/threatening",
        "hate/threatening",
        "violence",
        "violence/graphic",
        "self-harm",
        "self-harm/intent",
        "self-harm/instructions",
    ),
    "hate": ("hate", "hate/threatening"),
    "sexual": ("sexual", "sexual/minors"),
    "dangerous": ("illicit", "illicit/violent", "self-harm/instructions"),
}

# Gemini `safety_ratings` categories. Gemini has no violence or self-harm category: threats are rated
# as harassment and self-harm encouragement as dangerous content, so both feed harm_high.
GEMINI_CATEGORIES: dict[str, tuple[str, ...]] = {
    "harm_high": ("HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_DANGEROUS_CONTENT"),
    "hate": ("HARM_CATEGORY_HATE_SPEECH",),
    "sexual": ("HARM_CATEGORY_SEXUALLY_EXPLICIT",),
    "dangerous": ("HARM_CATEGORY_DANGEROUS_CONTENT",),
}
# When a rating carries only the probability bucket, the bucket's midpoint stands for the score.
GEMINI_PROBABILITY_SCORES = {"NEGLIGIBLE": 0.05, "LOW": 0.3, "MEDIUM": 0.6, "HIGH": 0.9}


def _clamp(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return min(1.0, max(0.0, number))


def from_openai_categories(category_scores: Mapping[str, float]) -> dict[str, float]:
    """OpenAI `results[0].category_scores` (a dict, or the SDK object's `model_dump()`) to our scores.
    Keys may use "/" (API) or "_" with "-" kept (`self_harm_intent` from the SDK's attribute names)."""
    normalised = {
        key.replace("_", "/").replace("self/harm", "self-harm"): value for key, value in category_scores.items()
    }
    return {
        ours: max((_clamp(normalised.get(theirs, 0.0)) for theirs in names), default=0.0)
        for ours, names in OPENAI_CATEGORIES.items()
    }


def _rating_score(rating: Mapping[str, object]) -> float:
    if rating.get("blocked"):
        return 1.0
    for key in ("probability_score", "probabilityScore"):
        if rating.get(key) is not None:
            return _clamp(rating[key])
    probability = str(rating.get("probability", "")).upper().removeprefix("HARM_PROBABILITY_")
    return GEMINI_PROBABILITY_SCORES.get(probability, 0.0)


def from_gemini_safety_ratings(ratings: Iterable[Mapping[str, object]]) -> dict[str, float]:
    """Gemini `candidates[0].safety_ratings` (REST camelCase or SDK snake_case dicts) to our scores."""
    by_category: dict[str, float] = {}
    for rating in ratings:
        category = str(rating.get("category", "")).upper()
        by_category[category] = max(by_category.get(category, 0.0), _rating_score(rating))
    return {
        ours: max((by_category.get(theirs, 0.0) for theirs in names), default=0.0)
        for ours, names in GEMINI_CATEGORIES.items()
    }
