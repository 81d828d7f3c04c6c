"""A fake Cloud Vision (REST v1): `images:annotate` with IMAGE_PROPERTIES and SAFE_SEARCH_DETECTION.

Image properties are measured for real (Pillow quantises the image to its ten dominant colours and
the fraction of pixels each covers), so an under-exposed photo reads dark as it would from the
service. SafeSearch is VERY_UNLIKELY everywhere unless `refusal` is scripted (adult VERY_LIKELY).
An image that cannot be decoded is a per-image error in a 200 answer, as the service sends it.
"""

from __future__ import annotations

import io
from typing import ClassVar

from PIL import Image, UnidentifiedImageError

from routing.fakes.google_media import decoded, enum_name
from routing.fakes.server import Call, FakeProviderServer, Reply
from routing.fakes.vertex_server import google_error

FEATURE_TYPES = (
    "TYPE_UNSPECIFIED",
    "FACE_DETECTION",
    "LANDMARK_DETECTION",
    "LOGO_DETECTION",
    "LABEL_DETECTION",
    "TEXT_DETECTION",
    "SAFE_SEARCH_DETECTION",
    "IMAGE_PROPERTIES",
    "CROP_HINTS",
    "WEB_DETECTION",
    "PRODUCT_SEARCH",
    "DOCUMENT_TEXT_DETECTION",
    "OBJECT_LOCALIZATION",
)
SAFE_SEARCH = ("adult", "spoof", "medical", "violence", "racy")


def dominant_colors(data: bytes, count: int = 10) -> list[dict] | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.thumbnail((256, 256))
            quantised = image.convert("RGB").quantize(colors=count)
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    palette: list[int] = list(quantised.getpalette() or [])
    # (pixels, palette index) of a paletted ("P") image
    used = sorted(
        ((int(pixels), int(index)) for pixels, index in quantised.getcolors() or []),  # type: ignore[arg-type]
        reverse=True,
    )
    total = sum(pixels for pixels, _ in used) or 1
    return [
        {
            "color": {"red": palette[3 * index], "green": palette[3 * index + 1], "blue": palette[3 * index + 2]},
            "score": round(pixels / total, 4),
            "pixelFraction": round(pixels / total, 4),
        }
        for pixels, index in used[:count]
    ]


class FakeVisionServer(FakeProviderServer):
    provider = "vision"
    routes: ClassVar = (("POST", r"/v1/images:annotate", "annotate"),)

    def error_payload(self, status: int) -> dict:
        return google_error(status)

    def annotate(self, call: Call) -> Reply:
        requests = call.body.get("requests") or []
        if not requests:
            return Reply(google_error(400), 400)
        if call.behaviour.output is not None:
            return Reply(call.behaviour.output)
        return Reply({"responses": [self._annotation(item, call) for item in requests]})

    def _annotation(self, item: dict, call: Call) -> dict:
        features = {enum_name(feature.get("type"), FEATURE_TYPES) for feature in item.get("features") or []}
        colors = dominant_colors(decoded((item.get("image") or {}).get("content")))
        if colors is None:
            return {"error": {"code": 3, "message": "Bad image data."}}
        annotation: dict = {}
        if "IMAGE_PROPERTIES" in features and not call.behaviour.schema_invalid:
            annotation["imagePropertiesAnnotation"] = {"dominantColors": {"colors": colors}}
        if "SAFE_SEARCH_DETECTION" in features:
            annotation["safeSearchAnnotation"] = {name: "VERY_UNLIKELY" for name in SAFE_SEARCH}
            if call.behaviour.refusal:
                annotation["safeSearchAnnotation"]["adult"] = "VERY_LIKELY"
        return annotation
