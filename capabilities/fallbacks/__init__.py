"""Deterministic fallbacks: the last link of every capability's chain (seed 001, section 7).

Each capability has one module exposing `run(payload, ctx) -> dict`. Its result is valid
against the capability's output schema for any payload valid against its input schema. No
randomness, no network, no Django: the gateway calls these when every model is unavailable
or the tenant's budget is spent, and the answer is marked degraded.
"""

from __future__ import annotations

import datetime
import importlib
from dataclasses import dataclass

from routing.providers.base import FaqEntry


@dataclass(frozen=True)
class FallbackContext:
    """What a fallback may know beyond its payload, supplied by the gateway."""

    locale: str = "en"
    tenant_country: str | None = None
    faq_entries: tuple[FaqEntry, ...] = ()
    today: datetime.date | None = None


class UnknownFallbackError(LookupError):
    """No deterministic fallback is registered for the capability id."""


# Loaded lazily: a fallback's dependencies (Pillow, numpy) are imported only when it runs.
FALLBACKS: dict[str, str] = {
    "pricing.suggest": "capabilities.fallbacks.pricing_suggest",
    "pricing.demand_forecast": "capabilities.fallbacks.demand_forecast",
    "housekeeping.route": "capabilities.fallbacks.housekeeping_route",
    "staff.shift_optimize": "capabilities.fallbacks.shift_optimize",
    "anomaly.detect": "capabilities.fallbacks.anomaly_detect",
    "upsell.recommend": "capabilities.fallbacks.upsell_recommend",
    "message.draft": "capabilities.fallbacks.message_draft",
    "review.summarize": "capabilities.fallbacks.review_summarize",
    "booking.conversion_hint": "capabilities.fallbacks.conversion_hint",
    "tutor.answer": "capabilities.fallbacks.tutor_answer",
    "description.generate": "capabilities.fallbacks.description_generate",
    "translation.draft": "capabilities.fallbacks.translation_draft",
    "ocr.id_scan": "capabilities.fallbacks.id_scan",
    "stt.transcribe": "capabilities.fallbacks.stt_transcribe",
    "vision.photo_quality": "capabilities.fallbacks.photo_quality",
}


def run_fallback(capability_id: str, payload: dict, ctx: FallbackContext) -> dict:
    """The deterministic answer of `capability_id` for a payload already valid for its input schema."""
    try:
        module_path = FALLBACKS[capability_id]
    except KeyError:
        raise UnknownFallbackError(capability_id) from None
    return importlib.import_module(module_path).run(payload, ctx)
