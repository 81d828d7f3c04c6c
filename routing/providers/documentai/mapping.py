"""Our pre-step request to Document AI `processDocument`, and its Document back to what the OCR
prompt is given. Pure: the response is read as the dict google-cloud-documentai's messages dump
to (`ProcessResponse.to_dict`, proto field names)."""

from __future__ import annotations

import re

from routing.providers.base import AuxiliaryResult, MediaItem, ProviderError

PROVIDER = "documentai"
MAX_TEXT_CHARS = 4000  # the OCR text the prompt gets; an ID document's text is far shorter
# Document AI reads these; anything else the gateway accepted as an image is refused before the call.
PROCESSABLE_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/tiff", "image/bmp", "image/webp", "application/pdf"}
)
_PROCESSOR = re.compile(
    r"^projects/[^/]+/locations/(?P<location>[a-z0-9-]+)/processors/[^/]+"
    r"(?:/processorVersions/[^/]+)?$"
)


def processor_location(processor: str) -> str:
    """`eu` of projects/p/locations/eu/processors/x: where the processor processes."""
    match = _PROCESSOR.fullmatch(processor)
    if match is None:
        raise ValueError(f"not a Document AI processor name: {processor!r}")
    return match["location"]


def process_request(processor: str, media: MediaItem) -> dict:
    if media.content_type not in PROCESSABLE_TYPES:
        raise ProviderError("bad_request", f"{PROVIDER} cannot read {media.content_type}", retryable=False)
    # skip_human_review: the gateway's own HITL gate reviews the answer (the catalog's `always`)
    return {
        "name": processor,
        "raw_document": {"content": media.data, "mime_type": media.content_type},
        "skip_human_review": True,
    }


def _anchor_text(text: str, anchor: dict | None) -> str:
    """The text a layout's text anchor points at (its `content`, else its segments of the text)."""
    if not anchor:
        return ""
    if anchor.get("content"):
        return str(anchor["content"]).strip()
    parts = []
    for segment in anchor.get("text_segments") or []:
        start, end = int(segment.get("start_index") or 0), int(segment.get("end_index") or 0)
        parts.append(text[start:end])
    return "".join(parts).strip()


def billed_pages(data: dict) -> int:
    """Document AI bills per page processed: an image is one page, a PDF as many as it has."""
    document = data.get("document")
    return max(1, len(document.get("pages") or [])) if isinstance(document, dict) else 1


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def document_result(data: dict) -> AuxiliaryResult:
    """Entities (the ID parser's `Family Name`, `Document Id`, `MRZ Code`...) and form fields
    (the form parser's key/value pairs) as named fields, with the document's text. Confidence is
    the mean over what was read; a document with no text is malformed (a processor always sends it)."""
    document = data.get("document")
    if not isinstance(document, dict):
        raise ProviderError("malformed", f"{PROVIDER} answered no document", retryable=True)
    text = str(document.get("text") or "")
    fields: dict[str, str] = {}
    confidences: list[float] = []
    for entity in document.get("entities") or []:
        name = str(entity.get("type_") or entity.get("type") or "").strip()
        value = str(entity.get("mention_text") or "").strip()
        if name and value:
            fields.setdefault(name, value)
            confidences.append(float(entity.get("confidence") or 0.0))
    for page in document.get("pages") or []:
        for form_field in page.get("form_fields") or []:
            name = _anchor_text(text, (form_field.get("field_name") or {}).get("text_anchor"))
            value = _anchor_text(text, (form_field.get("field_value") or {}).get("text_anchor"))
            if name and value:
                fields.setdefault(name.rstrip(":"), value)
                confidences.append(float((form_field.get("field_value") or {}).get("confidence") or 0.0))
    if not text.strip() and not fields:
        return AuxiliaryResult(text="", confidence=0.0)
    if not confidences:
        confidences = [
            float((page.get("layout") or {}).get("confidence") or 0.0) for page in document.get("pages") or []
        ]
    return AuxiliaryResult(text=text[:MAX_TEXT_CHARS], confidence=_mean(confidences), fields=fields)
