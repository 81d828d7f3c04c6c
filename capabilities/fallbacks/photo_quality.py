"""vision.photo_quality fallback: measures the photo itself with Pillow and numpy.

The catalog's historic fallback was "accept all"; we measure instead, because a degraded answer
that lets every dark, blurred listing photo through is worse than a slower honest one. Three
measurements, each scored 0-1: resolution against the purpose's minimum, exposure (mean
luminance and clipped highlights/shadows), and sharpness (variance of the Laplacian). A photo
we cannot see or decode never passes, and nothing here raises.
"""

from __future__ import annotations

import io
import logging

import numpy as np
from PIL import Image

from capabilities.fallbacks import FallbackContext
from capabilities.fallbacks.common import decode_base64

logger = logging.getLogger(__name__)

DEFAULT_PURPOSE = "room_listing"
MIN_SIZE = {
    "room_listing": (1280, 720),
    "id_document": (1000, 700),
    "damage_report": (640, 480),
    "housekeeping_proof": (640, 480),
}
# Decoding is refused above this many pixels: a small file can claim a huge canvas.
MAX_PIXELS = 40_000_000
# Measured on a copy at most this wide/high, so cost and sharpness scale the same for every photo.
ANALYSIS_SIDE = 512
SHARP_LAPLACIAN_VARIANCE = 100.0  # the usual blur threshold on 8-bit grey levels
WELL_EXPOSED = (90.0, 170.0)
CLIP_TOLERANCE = 0.05
WEIGHTS = {"resolution": 0.25, "exposure": 0.35, "sharpness": 0.4}
PASS_SCORE = 0.6
PASS_COMPONENT = 0.5

_EMPTY_MEASUREMENTS = dict.fromkeys(
    ("width", "height", "mean_luminance", "highlight_clip_fraction", "shadow_clip_fraction", "sharpness")
)


def _unmeasured(reason: str, purpose: str) -> dict:
    return {
        "score": 0.0,
        "pass": False,
        "reasons": [reason],
        "measurements": dict(_EMPTY_MEASUREMENTS),
        "purpose": purpose,
    }


def _grey_pixels(data: bytes) -> tuple[tuple[int, int], np.ndarray] | str:
    """(original size, grey levels of a reduced copy), or why the image cannot be measured."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                return f"image of {width}x{height} pixels is too large to measure"
            image.draft("L", (ANALYSIS_SIDE, ANALYSIS_SIDE))  # JPEG decodes at reduced scale
            grey = image.convert("L")
            grey.thumbnail((ANALYSIS_SIDE, ANALYSIS_SIDE))
            return (width, height), np.asarray(grey, dtype=np.float64)
    # Decoders fail in many ways on hostile or truncated files; each is an unreadable photo, never a crash.
    except Exception as error:
        logger.info("photo could not be decoded for quality measurement", exc_info=True)
        return f"image could not be decoded ({type(error).__name__})"


def _laplacian_variance(pixels: np.ndarray) -> float | None:
    if min(pixels.shape) < 3:
        return None
    centre = pixels[1:-1, 1:-1]
    laplacian = pixels[:-2, 1:-1] + pixels[2:, 1:-1] + pixels[1:-1, :-2] + pixels[1:-1, 2:] - 4 * centre
    return float(laplacian.var())


def _resolution_score(size: tuple[int, int], required: tuple[int, int]) -> float:
    """Orientation-free: the long side against the long minimum, the short against the short."""
    long_side, short_side = max(size), min(size)
    long_needed, short_needed = max(required), min(required)
    ratios = [side / needed for side, needed in ((long_side, long_needed), (short_side, short_needed)) if needed]
    return min([1.0, *ratios])


def _exposure_score(mean: float, highlights: float, shadows: float) -> float:
    low, high = WELL_EXPOSED
    if mean < low:
        score = (mean - 20) / (low - 20)
    elif mean > high:
        score = (235 - mean) / (235 - high)
    else:
        score = 1.0
    score -= 2 * max(highlights - CLIP_TOLERANCE, 0) + 2 * max(shadows - CLIP_TOLERANCE, 0)
    return min(max(score, 0.0), 1.0)


def _exposure_reasons(mean: float, highlights: float, shadows: float) -> list[str]:
    reasons = []
    if mean < WELL_EXPOSED[0]:
        reasons.append(f"too dark (mean luminance {mean:.0f} of 255)")
    elif mean > WELL_EXPOSED[1]:
        reasons.append(f"too bright (mean luminance {mean:.0f} of 255)")
    if highlights > CLIP_TOLERANCE:
        reasons.append(f"{highlights:.0%} of pixels are blown-out highlights")
    if shadows > CLIP_TOLERANCE:
        reasons.append(f"{shadows:.0%} of pixels are crushed shadows")
    return reasons


def _required_size(payload: dict, purpose: str) -> tuple[int, int]:
    default_width, default_height = MIN_SIZE[purpose]
    return payload.get("min_width", default_width), payload.get("min_height", default_height)


def run(payload: dict, ctx: FallbackContext) -> dict:
    purpose = payload.get("purpose", DEFAULT_PURPOSE)
    if "image_base64" not in payload:
        result = _unmeasured("image not available for local measurement", purpose)
        result["image_ref"] = payload["image_ref"]
        return result
    data = decode_base64(payload["image_base64"])
    if not data:
        return _unmeasured("image is empty or not valid base64", purpose)
    decoded = _grey_pixels(data)
    if isinstance(decoded, str):
        return _unmeasured(decoded, purpose)

    (width, height), pixels = decoded
    if pixels.size == 0:
        return _unmeasured("image has no pixels", purpose)
    mean = float(pixels.mean())
    highlights, shadows = float((pixels >= 250).mean()), float((pixels <= 5).mean())
    sharpness = _laplacian_variance(pixels)
    required = _required_size(payload, purpose)
    components = {
        "resolution": _resolution_score((width, height), required),
        "exposure": _exposure_score(mean, highlights, shadows),
        "sharpness": 0.0 if sharpness is None else min(sharpness / SHARP_LAPLACIAN_VARIANCE, 1.0),
    }
    score = round(sum(WEIGHTS[name] * value for name, value in components.items()), 3)

    reasons = []
    if components["resolution"] < 1.0:
        reasons.append(f"resolution {width}x{height} is below the {required[0]}x{required[1]} needed for {purpose}")
    reasons += _exposure_reasons(mean, highlights, shadows)
    if sharpness is None:
        reasons.append("image is too small to measure sharpness")
    elif components["sharpness"] < PASS_COMPONENT:
        reasons.append(
            f"blurred (Laplacian variance {sharpness:.0f}, sharp photos reach {SHARP_LAPLACIAN_VARIANCE:.0f})"
        )
    passed = (
        score >= PASS_SCORE
        and components["resolution"] >= 1.0
        and min(components["exposure"], components["sharpness"]) >= PASS_COMPONENT
    )
    if passed and not reasons:
        reasons.append("resolution, exposure and sharpness meet the bar")
    result = {
        "score": min(max(score, 0.0), 1.0),
        "pass": passed,
        "reasons": reasons[:10],
        "measurements": {
            "width": width,
            "height": height,
            "mean_luminance": round(mean, 2),
            "highlight_clip_fraction": round(highlights, 4),
            "shadow_clip_fraction": round(shadows, 4),
            "sharpness": round(sharpness, 2) if sharpness is not None else None,
        },
        "purpose": purpose,
    }
    if "image_ref" in payload:
        result["image_ref"] = payload["image_ref"]
    return result
