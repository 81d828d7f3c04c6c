"""Provider moderation as one more `Moderator`, combined with the local one.

OpenAI's moderation endpoint is asked only where it may see the text (it is configured, its
circuit is closed, and the tenant is not EU-only); if it fails or is slow, the local verdict
stands alone and the request goes on. Gemini's safety ratings arrive with Vertex answers and
are judged on the output (`gemini_verdict`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from capabilities.guardrails.moderation import ModerationVerdict, resolve_thresholds, verdict_from_scores
from capabilities.guardrails.provider_scores import from_gemini_safety_ratings, from_openai_categories
from routing.providers.base import ProviderError
from routing.providers.registry import adapter_for

logger = logging.getLogger(__name__)
MODERATION_TIMEOUT_SECONDS = 0.5  # the endpoint answers in well under this; it must not eat the request deadline


class OpenAIModerator:
    name = "openai"

    def __init__(self, adapter, *, breakers=None, thresholds: Mapping[str, float] | None = None):
        self._adapter = adapter
        self._breakers = breakers
        self._thresholds = resolve_thresholds(thresholds)

    def moderate(self, text: str, *, locale: str) -> ModerationVerdict | None:
        if self._breakers is not None and not self._breakers.allow("openai"):
            return None
        try:
            result = self._adapter.moderate(text, timeout=MODERATION_TIMEOUT_SECONDS)
        except ProviderError as exc:
            logger.warning("provider moderation unavailable; local verdict only", extra={"kind": exc.kind})
            if self._breakers is not None and exc.kind not in ("bad_request", "refused"):
                self._breakers.record_failure("openai")
            return None
        if self._breakers is not None:
            self._breakers.record_success("openai")
        return verdict_from_scores(from_openai_categories(result.scores), thresholds=self._thresholds,
                                   moderator=self.name)


def provider_moderators(*, eu_only: bool, allowed_providers: tuple[str, ...] = (), breakers=None,
                        thresholds: Mapping[str, float] | None = None) -> list[OpenAIModerator]:
    """Provider moderators that may see this text: the same residency rules as the models."""
    if eu_only or (allowed_providers and "openai" not in allowed_providers):
        return []
    adapter = adapter_for("openai")
    if adapter is None or not adapter.is_configured():
        return []
    return [OpenAIModerator(adapter, breakers=breakers, thresholds=thresholds)]


def gemini_verdict(safety: Mapping | None, *,
                   thresholds: Mapping[str, float] | None = None) -> ModerationVerdict | None:
    """Vertex's safety ratings (`{"ratings": {category: probability}}`) as a verdict, if any."""
    ratings = (safety or {}).get("ratings") or {}
    if not ratings:
        return None
    scores = from_gemini_safety_ratings({"category": name, "probability": value} for name, value in ratings.items())
    return verdict_from_scores(scores, thresholds=resolve_thresholds(thresholds), moderator="gemini")
