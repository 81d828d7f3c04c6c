"""The media a capability's input carries (an ID scan, a listing photo, a voice note), as bytes
for the adapters that read them: inline base64 decoded here, `gcs://` / `gs://` references read
from Cloud Storage (routing/providers/gcs/), bounded in size and checked for their content type.

A reference Cloud Storage refuses for good (no such object, too large, not an image, a bucket
not configured) is the caller's mistake: MediaUnavailable, a 422 envelope, before any model is
asked. A read that fails this time (timeout, 5xx, circuit open) is an attempt like any other and
leaves the media out: the capability degrades to its fallback, as when nothing can read it. The
same happens for a reference nothing here can read (Cloud Storage not configured, `media:` ids).
"""

from __future__ import annotations

import base64
import binascii
import functools
from dataclasses import dataclass, field
from typing import Protocol, cast

from melmastoon_ai.errors import ApplicationError
from routing.attempts import Attempt, call_provider
from routing.breakers import CircuitBreakers
from routing.providers.base import MediaItem
from routing.providers.gcs.mapping import MediaRefusal
from routing.providers.registry import adapter_for

# (kind, inline field, reference field) of the input schemas that carry media
MEDIA_FIELDS = (("image", "image_base64", "image_ref"), ("audio", "audio_base64", "audio_ref"))
STORAGE = "gcs"
STORAGE_MODEL = "cloud-storage"
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"%PDF", "application/pdf"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"BM", "image/bmp"),
    (b"OggS", "audio/ogg"),
    (b"fLaC", "audio/flac"),
    (b"#!AMR", "audio/amr"),
    (b"\x1a\x45\xdf\xa3", "audio/webm"),
    (b"ID3", "audio/mpeg"),
)


class MediaReader(Protocol):
    """What routing/providers/gcs/ implements: read one referenced object."""

    def is_configured(self, model: str | None = None) -> bool: ...

    def read(self, ref: str, *, kind: str, timeout: float | None = None) -> MediaItem: ...


class MediaUnavailable(ApplicationError):
    status = 422
    code = "media_unavailable"


@dataclass
class ResolvedMedia:
    items: tuple[MediaItem, ...] = ()
    attempts: list[Attempt] = field(default_factory=list)  # the Cloud Storage reads
    seconds: float = 0.0  # spent waiting on Cloud Storage


def sniff(data: bytes) -> str:
    """What inline bytes are, by their signature ("" when unknown: the adapter refuses them)."""
    for signature, media_type in _SIGNATURES:
        if data.startswith(signature):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] in (b"WEBP", b"WAVE"):
        return "image/webp" if data[8:12] == b"WEBP" else "audio/wav"
    if len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0:
        return "audio/mpeg"
    return ""


def carries_media(payload: dict) -> bool:
    return any(inline in payload or ref in payload for _, inline, ref in MEDIA_FIELDS)


def without_media(payload: dict) -> dict:
    """The payload as a prompt may show it: inline media replaced by a short description (a model
    is never sent base64 as text; the pre-step has read it)."""
    shown = dict(payload)
    for kind, inline, _ in MEDIA_FIELDS:
        if inline in shown:
            size = len(shown[inline]) * 3 // 4
            shown[inline] = f"({kind} attached inline, about {size} bytes: read by the pre-step, not shown)"
    return shown


def resolve_media(
    payload: dict, *, timeout: float, breakers: CircuitBreakers | None, disabled: frozenset[str] = frozenset()
) -> ResolvedMedia:
    """`disabled`: the provider kinds switched off for the tenant (`provider.gcs` among them)."""
    resolved = ResolvedMedia()
    items = []
    for kind, inline, ref_field in MEDIA_FIELDS:
        if inline in payload:
            try:
                data = base64.b64decode(payload[inline], validate=True)
            except (binascii.Error, ValueError):
                continue  # the fallback says the inline media is unreadable
            if data:
                items.append(MediaItem(kind=kind, data=data, content_type=sniff(data)))
            continue
        ref = payload.get(ref_field)
        reader = cast("MediaReader | None", adapter_for(STORAGE))
        if (
            not ref
            or not str(ref).startswith(("gcs://", "gs://"))
            or STORAGE in disabled
            or reader is None
            or not reader.is_configured()
        ):
            continue
        try:
            called = call_provider(
                functools.partial(reader.read, ref, kind=kind, timeout=timeout),
                provider=STORAGE,
                model=STORAGE_MODEL,
                breakers=breakers,
                breaker=STORAGE,
                span={"gen_ai.system": STORAGE},
            )
        except MediaRefusal as exc:
            raise MediaUnavailable(
                f"{ref_field} could not be read: {exc.reason}.", details={"field": ref_field}
            ) from exc
        resolved.attempts.append(called.attempt)
        resolved.seconds += called.seconds
        if called.value is not None:
            items.append(called.value)
    resolved.items = tuple(items)
    return resolved
