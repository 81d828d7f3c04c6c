"""The 15 rows of the capability catalog, as seed 001 §7 gives them.

Chains: the default model first (its own field), then `fallback_chain`, always ending in
`deterministic` (the seed's last fallback, built in capabilities/fallbacks/). Where the seed
names a non-model fallback (Cloud Translation, Vertex Vision) it is a catalog model of its own.
Latency targets are the seed's p95 targets; housekeeping and photo quality use the on-device
figure, anomaly detection the explanation figure (the classification is on-device at 200 ms).
"""

from __future__ import annotations

EU_ONLY_PROVIDERS = ["vertex", "self_hosted", "edge", "deterministic"]


def _row(cid, prompt, version, default, chain, hitl, latency_ms, cost, output_type, eval_key, phase, *,
         offline=None, aux=(), ttl=0, allowed=(), max_output_tokens=1024, uses_rag=False, description=""):
    return {
        "id": cid, "prompt": prompt, "prompt_version": version, "default_model": default,
        "fallback_chain": [*chain, "deterministic"], "hitl_rule": hitl, "latency_target_ms": latency_ms,
        "cost_class": cost, "output_type": output_type, "eval_suite_key": eval_key, "phase": phase,
        "offline_model": offline, "auxiliary_models": list(aux), "cache_ttl_seconds": ttl,
        "allowed_providers": list(allowed), "max_output_tokens": max_output_tokens, "uses_rag": uses_rag,
        "description": description,
    }


CAPABILITIES = [
    _row("pricing.suggest", "PRMP_PRICING_001", "3.0.0", "gemini-1.5-flash",
         ["claude-3-5-sonnet", "gpt-4o-mini"], "deviation_over_pct(5)", 1500, "medium",
         "PricingSuggestion", "EVAL_PRICING_001", 0, ttl=900, max_output_tokens=512,
         description="Suggest a room price for a stay date from BAR, occupancy and lead time."),
    _row("pricing.demand_forecast", "PRMP_PRICING_002", "2.0.0", "gemini-1.5-flash-8b", [], "never",
         3_600_000, "low", "DemandForecast", "EVAL_FORECAST_001", 1, ttl=3600, max_output_tokens=2048,
         description="Forecast daily demand (batch) from booking history."),
    _row("housekeeping.route", "PRMP_HK_001", "1.0.0", "melmastoon-edge-hkt-v2", ["gemini-1.5-flash"],
         "accept(lead)", 500, "free", "HousekeepingRoute", "EVAL_HK_001", 1, max_output_tokens=1024,
         description="Order the rooms to clean to minimise floor changes; the lead accepts the route."),
    _row("staff.shift_optimize", "PRMP_STAFF_001", "1.0.0", "gemini-1.5-flash", [], "accept(manager)", 2000,
         "medium", "ShiftSchedule", "EVAL_STAFF_001", 2, max_output_tokens=2048,
         description="Build a shift schedule meeting demand and rest rules; the manager accepts it."),
    _row("anomaly.detect", "PRMP_ANOMALY_001", "4.0.0", "melmastoon-edge-anomaly-v3", ["gemini-1.5-flash"],
         "on_auto_block", 2000, "low", "AnomalyVerdict", "EVAL_ANOMALY_001", 0, max_output_tokens=512,
         description="Classify front-desk and payment events; explain; a human confirms any auto-block."),
    _row("upsell.recommend", "PRMP_UPSELL_001", "2.0.0", "gemini-1.5-flash", [], "never", 1000, "medium",
         "UpsellOffer[]", "EVAL_UPSELL_001", 0, ttl=1800, max_output_tokens=512,
         description="Recommend add-ons for a booking."),
    _row("message.draft", "PRMP_MSG_001", "3.0.0", "gemini-1.5-flash", [], "always", 1500, "medium",
         "MessageDraft", "EVAL_MSG_001", 0, offline="phi-3-mini", max_output_tokens=768,
         description="Draft a guest message for an intent and locale; a human always approves it."),
    _row("review.summarize", "PRMP_REVIEW_001", "2.0.0", "gemini-1.5-pro", ["claude-3-5-sonnet"], "never",
         8000, "high", "ReviewSummary", "EVAL_REVIEW_001", 1, ttl=21600, max_output_tokens=1536,
         description="Summarise up to 200 guest reviews into themes."),
    _row("booking.conversion_hint", "PRMP_BOOKING_001", "1.0.0", "gemini-1.5-flash", [], "never", 800,
         "medium", "ConversionHint", "EVAL_BOOKING_001", 2, ttl=3600, max_output_tokens=256,
         description="Suggest the hint that helps a hesitant booker convert."),
    # Seed: the fallback is a local FAQ vector search (MiniLM + cosine): the edge embedder, then BM25.
    _row("tutor.answer", "PRMP_TUTOR_001", "2.0.0", "gemini-1.5-flash-8b", ["all-minilm-l6-v2"], "never", 1500, "low",
         "TutorAnswer", "EVAL_TUTOR_001", 0, offline="phi-3-mini", ttl=3600, max_output_tokens=512,
         uses_rag=True, description="Answer staff questions from the hotel's own FAQ and SOPs."),
    _row("description.generate", "PRMP_DESC_001", "3.0.0", "gemini-1.5-flash-8b", [], "accept(tenant)", 2000,
         "low", "Description", "EVAL_DESC_001", 1, max_output_tokens=1024,
         description="Write a room or hotel description; the tenant accepts it before publishing."),
    _row("translation.draft", "PRMP_TRANSLATE_001", "2.0.0", "gemini-1.5-flash-8b", ["cloud-translation"],
         "accept(tenant)", 3000, "low", "TranslationDraft", "EVAL_TRANSLATE_001", 1, ttl=86400,
         max_output_tokens=2048, description="Draft a translation; the tenant accepts it per locale."),
    _row("ocr.id_scan", "PRMP_OCR_001", "1.0.0", "gemini-1.5-flash-8b", [], "always", 4000, "medium",
         "IdScanFields", "EVAL_OCR_001", 1, aux=["document-ai-ocr"], allowed=EU_ONLY_PROVIDERS,
         max_output_tokens=512,
         description="Read the fields of a guest's ID document at check-in; a human always confirms."),
    _row("stt.transcribe", "PRMP_STT_001", "1.0.0", "gemini-1.5-flash-8b", [], "never", 2000, "low",
         "Transcription", "EVAL_STT_001", 2, aux=["vertex-speech-to-text"], allowed=EU_ONLY_PROVIDERS,
         max_output_tokens=512, description="Transcribe a short voice command (a reversible action)."),
    _row("vision.photo_quality", None, None, "melmastoon-edge-photo-quality-v1", ["vertex-vision"], "never",
         200, "free", "PhotoQualityScore", "EVAL_VISION_001", 0, ttl=86400, max_output_tokens=256,
         description="Score a listing photo's quality: resolution, exposure, sharpness."),
]
