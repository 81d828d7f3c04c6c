"""Provider verdicts that arrive with an answer: Gemini's safety ratings on Vertex outputs.

The moderation endpoints that are called (OpenAI's) are built by `routing.moderation`, which
decides, like for any outbound call, whether the provider may see the tenant's text; the
guardrails give them the redacted input only (`screen_input`).
"""

from __future__ import annotations

from collections.abc import Mapping

from guardrails.moderation import ModerationVerdict, resolve_thresholds, verdict_from_scores
from guardrails.provider_scores import from_gemini_safety_ratings


def gemini_verdict(
    safety: Mapping | None, *, thresholds: Mapping[str, float] | None = None
) -> ModerationVerdict | None:
    """Vertex's safety ratings (`{"ratings": {category: probability}}`) as a verdict, if any."""
    ratings = (safety or {}).get("ratings") or {}
    if not ratings:
        return None
    scores = from_gemini_safety_ratings({"category": name, "probability": value} for name, value in ratings.items())
    return verdict_from_scores(scores, thresholds=resolve_thresholds(thresholds), moderator="gemini")
