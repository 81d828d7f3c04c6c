"""Media references to Cloud Storage objects, and what an object must be to be read. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

PROVIDER = "gcs"
# `gcs://` is the input schemas' spelling, `gs://` Google's own; both name a bucket and an object.
_REF = re.compile(r"^(?:gcs|gs)://(?P<bucket>[a-z0-9][a-z0-9._-]{1,61}[a-z0-9])/(?P<name>[^\s]{1,1024})$")
# What each kind of media may be, as the bucket says (the object's Content-Type).
CONTENT_TYPES = {
    "image": frozenset(
        {"image/jpeg", "image/png", "image/webp", "image/gif", "image/tiff", "image/bmp", "application/pdf"}
    ),
    "audio": frozenset(
        {
            "audio/ogg",
            "audio/webm",
            "audio/wav",
            "audio/x-wav",
            "audio/wave",
            "audio/mpeg",
            "audio/mp3",
            "audio/flac",
            "audio/x-flac",
            "audio/amr",
        }
    ),
}


class MediaRefusal(Exception):
    """The reference can never be read as asked (malformed, not found, too large, wrong type):
    the caller is told, rather than the capability answering from nothing. `reason` names no
    object content; the reference itself is the caller's own."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ObjectRef:
    bucket: str
    name: str


def parse_ref(ref: str) -> ObjectRef:
    match = _REF.fullmatch(ref)
    if match is None:
        raise MediaRefusal("only gcs://bucket/object or gs://bucket/object references can be read")
    return ObjectRef(match["bucket"], match["name"])


def base_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def check_object(*, kind: str, size: int | None, content_type: str | None, max_bytes: int) -> str:
    """The object's content type when it may be read as `kind`; MediaRefusal otherwise."""
    if size is None or size <= 0:
        raise MediaRefusal("the referenced object is empty")
    if size > max_bytes:
        raise MediaRefusal(f"the referenced object has {size} bytes, more than the {max_bytes} allowed")
    media_type = base_type(content_type)
    if media_type not in CONTENT_TYPES.get(kind, ()):
        raise MediaRefusal(f"the referenced object is {media_type or 'of no stated type'}, not {kind} media")
    return media_type
