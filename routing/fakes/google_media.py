"""What the fake Google Cloud servers share: base64 fields of a JSON request, the enum numbers the
REST transports send, and what kind of file some bytes are."""

from __future__ import annotations

import base64
import binascii

from routing.media import sniff

__all__ = ["decoded", "enum_name", "sniff"]


def decoded(value: object) -> bytes:
    """A `bytes` field of a proto in JSON (standard base64; the URL-safe alphabet is also valid JSON)."""
    if not isinstance(value, str) or not value:
        return b""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        try:
            return base64.urlsafe_b64decode(value)
        except (binascii.Error, ValueError):
            return b""


def enum_name(value: object, names: tuple[str, ...]) -> str:
    """An enum as the REST transports send it (a number, `enum-encoding=int`) or by name."""
    if isinstance(value, int) and 0 <= value < len(names):
        return names[value]
    return str(value or names[0])
