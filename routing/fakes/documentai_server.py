"""A fake Document AI (REST v1): `processDocument` on any processor, answering an Identity
Document parser's Document for a readable image.

The fake reads no text off the image: every readable image is the ICAO specimen passport
(ERIKSSON, ANNA MARIA), with the entities the Identity Document parser names and the MRZ. A
`degraded` script answers a blurred read (few fields, low confidence); `output` answers that
Document as is. An image the fake cannot recognise as one is INVALID_ARGUMENT, as the service says.
"""

from __future__ import annotations

from typing import ClassVar

from routing.fakes.google_media import decoded, sniff
from routing.fakes.server import Call, FakeProviderServer, Reply
from routing.fakes.vertex_server import google_error

_PROCESSOR = (
    r"/v1/(?P<name>projects/[^/]+/locations/(?P<location>[^/]+)/processors/[^/:]+"
    r"(?:/processorVersions/[^/:]+)?)"
)
SPECIMEN_MRZ = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
SPECIMEN_TEXT = (
    "PASSPORT\nType P Code UTO Passport No. L898902C3\nSurname ERIKSSON\nGiven names ANNA MARIA\n"
    "Nationality UTOPIAN\nDate of birth 12 AUG 1974\nSex F\nDate of expiry 15 APR 2012\n" + SPECIMEN_MRZ + "\n"
)
SPECIMEN_ENTITIES = (
    ("Family Name", "ERIKSSON", 0.98),
    ("Given Names", "ANNA MARIA", 0.97),
    ("Document Id", "L898902C3", 0.99),
    ("Date Of Birth", "1974-08-12", 0.96),
    ("Date Of Expiration", "2012-04-15", 0.95),
    ("Nationality", "UTO", 0.9),
    ("Sex", "F", 0.93),
    ("MRZ Code", SPECIMEN_MRZ, 0.97),
)
READABLE = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/tiff", "image/bmp", "image/webp", "application/pdf"}
)


def _entity(kind: str, value: str, confidence: float, text: str) -> dict:
    start = text.find(value.split("\n")[0])
    entity = {"type": kind, "mentionText": value, "confidence": confidence}
    if start >= 0:
        entity["textAnchor"] = {"textSegments": [{"startIndex": str(start), "endIndex": str(start + len(value))}]}
    return entity


def specimen_document(*, degraded: bool = False) -> dict:
    entities = SPECIMEN_ENTITIES[:2] if degraded else SPECIMEN_ENTITIES
    confidence = 0.31 if degraded else None
    text = "PASSPORT\nSurname ERIKSSON\nGiven names ANNA MARIA\n" if degraded else SPECIMEN_TEXT
    return {
        "mimeType": "image/png",
        "text": text,
        "entities": [_entity(kind, value, confidence or score, text) for kind, value, score in entities],
        "pages": [
            {
                "pageNumber": 1,
                "dimension": {"width": 1240, "height": 880, "unit": "pixels"},
                "layout": {"confidence": confidence or 0.95},
            }
        ],
    }


class FakeDocumentAiServer(FakeProviderServer):
    provider = "documentai"
    routes: ClassVar = (("POST", _PROCESSOR + r":process", "process"),)

    def error_payload(self, status: int) -> dict:
        return google_error(status)

    def process(self, call: Call) -> Reply:
        raw = call.body.get("rawDocument") or call.body.get("raw_document") or {}
        content = decoded(raw.get("content"))
        declared = raw.get("mimeType") or raw.get("mime_type")
        if not content or declared not in READABLE or sniff(content) != declared:
            return Reply(google_error(400), 400)
        document = (
            call.behaviour.output
            if call.behaviour.output is not None
            else specimen_document(degraded=call.behaviour.degraded)
        )
        if call.behaviour.schema_invalid:
            document = {"mimeType": declared}  # a Document with neither text nor entities
        return Reply({"document": document, "humanReviewStatus": {"state": "SKIPPED"}})
