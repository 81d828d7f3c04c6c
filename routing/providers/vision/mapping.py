"""vision.photo_quality's image to Cloud Vision `images:annotate` (IMAGE_PROPERTIES and
SAFE_SEARCH_DETECTION), and the annotations back to a PhotoQualityScore. Pure.

Cloud Vision gives the dominant colours with the fraction of pixels each covers: exposure is
read from them (mean luminance, clipped highlights and shadows). It does not measure sharpness
(left null) nor the image's size, which is read from the file's header here. SafeSearch marks a
photo unfit to publish whatever its exposure.
"""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from routing.providers.base import MediaItem, ProviderError, ProviderResponse

PROVIDER = "vision"
FEATURES = [{"type_": "IMAGE_PROPERTIES", "max_results": 10}, {"type_": "SAFE_SEARCH_DETECTION"}]
MIN_SIZE = {
    "room_listing": (1280, 720),
    "id_document": (1000, 700),
    "damage_report": (640, 480),
    "housekeeping_proof": (640, 480),
}
WELL_EXPOSED = (90.0, 170.0)
CLIP_TOLERANCE = 0.05
HIGHLIGHT, SHADOW = 245.0, 10.0  # a dominant colour this bright / dark counts as clipped
WEIGHTS = {"resolution": 0.4, "exposure": 0.6}
PASS_SCORE = 0.6
UNSAFE = frozenset({"LIKELY", "VERY_LIKELY"})
# Which SafeSearch categories make a photo unfit for its purpose (a damage report may show damage).
UNSAFE_CATEGORIES = {
    "room_listing": ("adult", "racy", "violence"),
    "id_document": ("adult", "racy"),
    "damage_report": ("adult", "racy"),
    "housekeeping_proof": ("adult", "racy"),
}
# Enums come back as names or, as the REST transport asks for them, as numbers (Likelihood's order).
LIKELIHOOD_NAMES = ("UNKNOWN", "VERY_UNLIKELY", "UNLIKELY", "POSSIBLE", "LIKELY", "VERY_LIKELY")


def annotate_request(media: MediaItem) -> dict:
    return {"requests": [{"image": {"content": media.data}, "features": FEATURES}]}


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the header alone (Pillow opens lazily; no pixel is decoded)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def _likelihood(value: object) -> str:
    if isinstance(value, int) and 0 <= value < len(LIKELIHOOD_NAMES):
        return LIKELIHOOD_NAMES[value]
    return str(value or "UNKNOWN")


def _exposure(colors: list[dict]) -> tuple[float, float, float] | None:
    weighted = []
    for item in colors:
        color, fraction = item.get("color") or {}, float(item.get("pixel_fraction") or 0.0)
        luminance = (
            0.299 * float(color.get("red") or 0)
            + 0.587 * float(color.get("green") or 0)
            + 0.114 * float(color.get("blue") or 0)
        )
        weighted.append((luminance, fraction))
    total = sum(fraction for _, fraction in weighted)
    if total <= 0:
        return None
    mean = sum(luminance * fraction for luminance, fraction in weighted) / total
    highlights = sum(fraction for luminance, fraction in weighted if luminance >= HIGHLIGHT) / total
    shadows = sum(fraction for luminance, fraction in weighted if luminance <= SHADOW) / total
    return round(mean, 2), round(highlights, 4), round(shadows, 4)


def _exposure_score(mean: float, highlights: float, shadows: float) -> float:
    low, high = WELL_EXPOSED
    score = (mean - 20) / (low - 20) if mean < low else (235 - mean) / (235 - high) if mean > high else 1.0
    score -= 2 * max(highlights - CLIP_TOLERANCE, 0) + 2 * max(shadows - CLIP_TOLERANCE, 0)
    return min(max(score, 0.0), 1.0)


def photo_quality(data: dict, *, payload: dict, size: tuple[int, int] | None) -> ProviderResponse:
    responses = data.get("responses") or []
    if len(responses) != 1:
        raise ProviderError("malformed", f"{PROVIDER} answered {len(responses)} responses for 1 image", retryable=True)
    annotation = responses[0]
    if (annotation.get("error") or {}).get("code"):
        raise ProviderError("bad_request", f"{PROVIDER} could not read the image", retryable=False)
    colors = ((annotation.get("image_properties_annotation") or {}).get("dominant_colors") or {}).get("colors") or []
    exposure = _exposure(colors)
    if exposure is None or size is None:
        raise ProviderError("malformed", f"{PROVIDER} answered no image properties", retryable=True)
    purpose = payload.get("purpose", "room_listing")
    default_width, default_height = MIN_SIZE[purpose]
    required = (payload.get("min_width", default_width), payload.get("min_height", default_height))
    ratios = [side / needed for side, needed in ((max(size), max(required)), (min(size), min(required))) if needed]
    resolution = min([1.0, *ratios])
    mean, highlights, shadows = exposure
    exposed = _exposure_score(mean, highlights, shadows)
    score = round(WEIGHTS["resolution"] * resolution + WEIGHTS["exposure"] * exposed, 4)
    reasons = []
    if resolution < 1.0:
        reasons.append(f"resolution {size[0]}x{size[1]} is below the {required[0]}x{required[1]} needed")
    if mean < WELL_EXPOSED[0]:
        reasons.append(f"too dark (mean luminance {mean:.0f} of 255)")
    elif mean > WELL_EXPOSED[1]:
        reasons.append(f"too bright (mean luminance {mean:.0f} of 255)")
    if highlights > CLIP_TOLERANCE:
        reasons.append(f"{highlights:.0%} of the image is blown-out highlights")
    if shadows > CLIP_TOLERANCE:
        reasons.append(f"{shadows:.0%} of the image is crushed shadows")
    safe_search = annotation.get("safe_search_annotation") or {}
    unsafe = [name for name in UNSAFE_CATEGORIES[purpose] if _likelihood(safe_search.get(name)) in UNSAFE]
    if unsafe:
        reasons.append(f"unfit to publish: {', '.join(unsafe)} content likely")
    reasons.append("sharpness not measured by the cloud path")
    output = {
        "score": score,
        "pass": score >= PASS_SCORE and resolution >= 0.5 and exposed >= 0.5 and not unsafe,
        "reasons": reasons[:10],
        "purpose": purpose,
        "measurements": {
            "width": size[0],
            "height": size[1],
            "mean_luminance": mean,
            "highlight_clip_fraction": highlights,
            "shadow_clip_fraction": shadows,
            "sharpness": None,
        },
    }
    if payload.get("image_ref"):
        output["image_ref"] = payload["image_ref"]
    return ProviderResponse(output=output, model_version="cloud-vision-v1")
