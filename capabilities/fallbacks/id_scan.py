"""ocr.id_scan fallback: manual entry, with the document image kept by reference.

No field is guessed: a wrong passport number in a police guest register is worse than an
empty one. The receptionist types the fields while looking at the attached image.
"""

from __future__ import annotations

from capabilities.fallbacks import FallbackContext
from capabilities.fallbacks.common import decode_base64, media_reference

ID_FIELDS = (
    "surname",
    "given_names",
    "document_number",
    "nationality",
    "issuing_country",
    "sex",
    "date_of_birth",
    "date_of_expiry",
)


def run(payload: dict, ctx: FallbackContext) -> dict:
    warnings = ["Automatic reading is unavailable: enter the document fields by hand from the attached image."]
    inline = payload.get("image_base64")
    if "image_ref" not in payload and inline is not None and not decode_base64(inline):
        warnings.append("The inline image is empty or not valid base64: ask the guest for a new scan.")
    fields = dict.fromkeys(ID_FIELDS)
    # The issuing country the caller already knows is a fact, not a guess.
    fields["issuing_country"] = payload.get("issuing_country")
    return {
        "document_type": payload["document_type"],
        "manual_entry_required": True,
        "image_ref": media_reference(payload, "image_base64", "image_ref"),
        "fields": fields,
        "mrz": None,
        "confidence": 0.0,
        "warnings": warnings,
    }
