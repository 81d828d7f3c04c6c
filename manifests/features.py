"""The edge models' features and answers: our payloads to model inputs, model outputs to our answers.

The same feature functions serve training (manifests/training/) and inference, so a model never
sees features computed differently from the ones it learned on. No onnxruntime here.
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from PIL import Image

logger = logging.getLogger(__name__)

# --- anomaly.detect ------------------------------------------------------------------------------

ANOMALY_FEATURES = (
    "events",
    "voids",
    "night_voids",
    "refunds",
    "refund_total_vs_threshold",
    "max_refund_vs_threshold",
    "unexplained_voids_refunds",
    "rate_overrides",
    "max_override_pct",
    "discounts",
    "keycard_failures",
    "cash_drawer_opens",
    "night_cash_drawer_opens",
    "folio_adjustments",
    "no_show_waivers",
    "night_fraction",
)
NIGHT_HOURS = frozenset({23, 0, 1, 2, 3, 4, 5})  # the night audit, thinly staffed
DEFAULT_REFUND_THRESHOLD = 500.0
# The thresholds the classifier learnt its boundaries at (the rule fallback's defaults,
# capabilities/fallbacks/anomaly_detect.py). A hotel's own threshold rescales the counts it governs
# (a hotel alarmed at 3 key-card failures shows the model 3 as 5), as refunds are read against theirs.
DEFAULT_COUNT_THRESHOLDS = {"void_count": 3.0, "keycard_failures": 5.0, "rate_override_pct": 30.0}
SUSPICIOUS, ANOMALOUS = 0.3, 0.7
_HOUR = re.compile(r"T(\d{2}):")
_MONEY_OUT = ("voids", "refunds", "cash_drawer_opens", "folio_adjustments", "no_show_waivers")


def _hour(event: dict) -> int | None:
    match = _HOUR.search(event.get("at", ""))
    return int(match.group(1)) if match else None


def subject_of(event: dict) -> str:
    """Who an event is about: the user who keyed it, else the room, else nobody in particular."""
    if event.get("user_id"):
        return event["user_id"]
    if event.get("room_number"):
        return f"room:{event['room_number']}"
    return "unattributed"


def group_by_subject(events: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for event in events:
        grouped[subject_of(event)].append(event)
    return dict(sorted(grouped.items()))


def _scale(thresholds: dict | None, name: str) -> float:
    """How much a hotel's own threshold magnifies the counts it governs (1.0: the default)."""
    custom = (thresholds or {}).get(name)
    return DEFAULT_COUNT_THRESHOLDS[name] / float(custom) if custom else 1.0


def anomaly_features(
    events: list[dict], *, refund_threshold: float = DEFAULT_REFUND_THRESHOLD, thresholds: dict | None = None
) -> list[float]:
    """One subject's events as the classifier's feature vector (ANOMALY_FEATURES, in order).
    `thresholds`: the request's own (void_count, keycard_failures, rate_override_pct), if any."""

    def of(kind: str) -> list[dict]:
        return [event for event in events if event["type"] == kind]

    night = [event for event in events if _hour(event) in NIGHT_HOURS]
    voids, refunds = of("void"), of("refund")
    refund_amounts = [float(event.get("amount", 0)) for event in refunds]
    threshold = refund_threshold or DEFAULT_REFUND_THRESHOLD
    overrides = [
        event
        for event in events
        if event["type"] in ("rate_override", "discount")
        and event.get("original_amount")
        and event.get("amount") is not None
    ]
    override_pct = [max(0.0, 100.0 * (1 - float(e["amount"]) / float(e["original_amount"]))) for e in overrides]
    drawer = of("cash_drawer_open")
    voids_scale = _scale(thresholds, "void_count")
    return [
        float(len(events)),
        len(voids) * voids_scale,
        sum(1 for event in voids if event in night) * voids_scale,
        float(len(refunds)),
        min(sum(refund_amounts) / threshold, 50.0),
        min(max(refund_amounts, default=0) / threshold, 50.0),
        sum(1 for event in voids + refunds if not event.get("reason")) * voids_scale,
        float(len(of("rate_override"))),
        min(max(override_pct, default=0.0) * _scale(thresholds, "rate_override_pct"), 100.0),
        float(len(of("discount"))),
        len(of("keycard_failure")) * _scale(thresholds, "keycard_failures"),
        float(len(drawer)),
        float(sum(1 for event in drawer if event in night)),
        float(len(of("folio_adjustment"))),
        float(len(of("no_show_waiver"))),
        len(night) / len(events) if events else 0.0,
    ]


@dataclass(frozen=True)
class SubjectScore:
    subject: str
    probability: float
    features: dict[str, float]
    event_ids: list[str]


def _explain(features: dict[str, float]) -> str:
    parts = []
    for name, label in (
        ("night_voids", "night-audit voids"),
        ("voids", "voids"),
        ("refunds", "refunds"),
        ("unexplained_voids_refunds", "voids/refunds without a reason"),
        ("rate_overrides", "rate overrides"),
        ("keycard_failures", "key-card failures"),
        ("night_cash_drawer_opens", "cash-drawer opens at night"),
        ("folio_adjustments", "folio adjustments"),
        ("no_show_waivers", "no-show waivers"),
    ):
        if features[name] >= 1:
            parts.append(f"{int(features[name])} {label}")
    if features["refund_total_vs_threshold"] >= 1:
        parts.append(f"refunds total {features['refund_total_vs_threshold']:.1f}x the refund threshold")
    if features["max_override_pct"] >= 20:
        parts.append(f"a rate cut by {features['max_override_pct']:.0f}%")
    return ", ".join(parts[:6]) or "an unusual mix of events"


def anomaly_verdict(scores: list[SubjectScore]) -> dict:
    """The classifier's per-subject probabilities as an AnomalyVerdict."""
    flagged = sorted(
        (score for score in scores if score.probability >= SUSPICIOUS), key=lambda score: -score.probability
    )
    top = max((score.probability for score in scores), default=0.0)
    verdict = "anomalous" if top >= ANOMALOUS else "suspicious" if top >= SUSPICIOUS else "normal"
    reasons = [
        {
            "code": "edge_model_anomalous_pattern",
            "message": f"{score.subject}: {_explain(score.features)} (model score {score.probability:.2f})"[:500],
            "event_ids": score.event_ids[:200],
        }
        for score in flagged[:20]
    ]
    money_out = any(
        score.probability >= ANOMALOUS and any(score.features[name] for name in _MONEY_OUT) for score in flagged
    )
    return {
        "verdict": verdict,
        "score": round(min(max(top, 0.0), 1.0), 4),
        "reasons": reasons,
        "recommend_block": bool(money_out),
        "subjects": [score.subject[:64] for score in flagged[:40]],
    }


# --- vision.photo_quality ------------------------------------------------------------------------

PHOTO_FEATURES = ("mean_luminance", "contrast", "highlight_clip_fraction", "shadow_clip_fraction", "log_sharpness")
MIN_SIZE = {
    "room_listing": (1280, 720),
    "id_document": (1000, 700),
    "damage_report": (640, 480),
    "housekeeping_proof": (640, 480),
}
MAX_PIXELS = 40_000_000
ANALYSIS_SIDE = 512
PASS_PROBABILITY = 0.5


@dataclass(frozen=True)
class PhotoMeasurements:
    width: int
    height: int
    mean_luminance: float
    contrast: float
    highlight_clip_fraction: float
    shadow_clip_fraction: float
    sharpness: float | None

    def features(self) -> list[float]:
        return [
            self.mean_luminance / 255.0,
            self.contrast / 255.0,
            self.highlight_clip_fraction,
            self.shadow_clip_fraction,
            math.log1p(self.sharpness or 0.0),
        ]


def measure_grey(pixels: np.ndarray, size: tuple[int, int]) -> PhotoMeasurements:
    """Measurements of grey levels (0-255) of a copy at most ANALYSIS_SIDE wide and high."""
    sharpness = None
    if min(pixels.shape) >= 3:
        centre = pixels[1:-1, 1:-1]
        laplacian = pixels[:-2, 1:-1] + pixels[2:, 1:-1] + pixels[1:-1, :-2] + pixels[1:-1, 2:] - 4 * centre
        sharpness = float(laplacian.var())
    return PhotoMeasurements(
        width=size[0],
        height=size[1],
        mean_luminance=float(pixels.mean()),
        contrast=float(pixels.std()),
        highlight_clip_fraction=float((pixels >= 250).mean()),
        shadow_clip_fraction=float((pixels <= 5).mean()),
        sharpness=sharpness,
    )


def measure_image(data: bytes) -> PhotoMeasurements | str:
    """Measure an encoded image, or say why it cannot be measured; never raises."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                return f"image of {width}x{height} pixels is too large to measure"
            image.draft("L", (ANALYSIS_SIDE, ANALYSIS_SIDE))
            grey = image.convert("L")
            grey.thumbnail((ANALYSIS_SIDE, ANALYSIS_SIDE))
            pixels = np.asarray(grey, dtype=np.float64)
    # Decoders fail in many ways on hostile or truncated files; each is an unreadable photo, never a crash.
    except Exception as error:
        logger.info("photo could not be decoded for quality measurement", exc_info=True)
        return f"image could not be decoded ({type(error).__name__})"
    if pixels.size == 0:
        return "image has no pixels"
    return measure_grey(pixels, (width, height))


def required_size(payload: dict, purpose: str) -> tuple[int, int]:
    width, height = MIN_SIZE[purpose]
    return payload.get("min_width", width), payload.get("min_height", height)


def resolution_ok(size: tuple[int, int], required: tuple[int, int]) -> bool:
    return max(size) >= max(required) and min(size) >= min(required)


def photo_reasons(measured: PhotoMeasurements, required: tuple[int, int], purpose: str) -> list[str]:
    reasons = []
    if not resolution_ok((measured.width, measured.height), required):
        reasons.append(
            f"resolution {measured.width}x{measured.height} is below the "
            f"{required[0]}x{required[1]} needed for {purpose}"
        )
    if measured.mean_luminance < 70:
        reasons.append(f"too dark (mean luminance {measured.mean_luminance:.0f} of 255)")
    elif measured.mean_luminance > 190:
        reasons.append(f"too bright (mean luminance {measured.mean_luminance:.0f} of 255)")
    if measured.contrast < 25:
        reasons.append(f"flat, low contrast (luminance spread {measured.contrast:.0f})")
    if measured.highlight_clip_fraction > 0.05:
        reasons.append(f"{measured.highlight_clip_fraction:.0%} of pixels are blown-out highlights")
    if measured.shadow_clip_fraction > 0.05:
        reasons.append(f"{measured.shadow_clip_fraction:.0%} of pixels are crushed shadows")
    if measured.sharpness is None:
        reasons.append("image is too small to measure sharpness")
    elif measured.sharpness < 50:
        reasons.append(f"blurred (Laplacian variance {measured.sharpness:.0f})")
    return reasons


def photo_score(measured: PhotoMeasurements, probability_good: float, payload: dict) -> dict:
    purpose = payload.get("purpose", "room_listing")
    required = required_size(payload, purpose)
    big_enough = resolution_ok((measured.width, measured.height), required)
    passed = big_enough and probability_good >= PASS_PROBABILITY
    reasons = photo_reasons(measured, required, purpose)
    if passed and not reasons:
        reasons.append("resolution meets the bar; the quality model rates exposure and sharpness good")
    elif not passed and big_enough and not reasons:
        reasons.append(f"the quality model rates this photo poor (score {probability_good:.2f})")
    result = {
        "score": round(min(max(probability_good, 0.0), 1.0), 3),
        "pass": passed,
        "reasons": reasons[:10],
        "measurements": {
            "width": measured.width,
            "height": measured.height,
            "mean_luminance": round(measured.mean_luminance, 2),
            "highlight_clip_fraction": round(measured.highlight_clip_fraction, 4),
            "shadow_clip_fraction": round(measured.shadow_clip_fraction, 4),
            "sharpness": round(measured.sharpness, 2) if measured.sharpness is not None else None,
        },
        "purpose": purpose,
    }
    if "image_ref" in payload:
        result["image_ref"] = payload["image_ref"]
    return result


# --- embeddings ----------------------------------------------------------------------------------


def mean_pool_normalised(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' pooling for all-MiniLM-L6-v2: mean over real tokens, then L2 norm."""
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
