"""The manifest's canonical JSON: what is signed, byte for byte.

Keys sorted, no insignificant whitespace, UTF-8 with non-ASCII characters as themselves
(`ensure_ascii=False`), no NaN or infinity. Any client that re-serialises the parsed body with the
same rules gets the same bytes, so a signature can be checked on the bytes as received.
"""

from __future__ import annotations

import hashlib
import json


def canonical_bytes(document: object) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


def is_canonical(body: bytes) -> bool:
    try:
        return canonical_bytes(json.loads(body.decode("utf-8"))) == body
    except (UnicodeDecodeError, ValueError):
        return False


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
