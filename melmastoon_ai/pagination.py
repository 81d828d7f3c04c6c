"""Keyset (cursor) pagination for the list APIs: `limit` and an opaque `cursor` (docs/api.md).

A cursor is the sort key of the last row a page showed, base64 of JSON: the next page starts
strictly after it, so rows written meanwhile never shift a page or repeat a row (an offset would).
"""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import urlencode

from drf_spectacular.utils import OpenApiParameter

from melmastoon_ai.errors import ApplicationError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
PAGE_PARAMETERS = [
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        description=f"page size, default {DEFAULT_LIMIT}, at most {MAX_LIMIT}",
    ),
    OpenApiParameter("cursor", str, description="the `next` of the previous page"),
]


def page_limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApplicationError(f"limit is a whole number from 1 to {MAX_LIMIT}.", details={"limit": raw})
    return int(raw)


def encode_cursor(position: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(raw: str | None, fields: tuple[str, ...]) -> dict[str, str] | None:
    """The position a cursor names (`fields`, all strings), or None for the first page; 400 for a
    cursor this API did not make."""
    if not raw:
        return None
    try:
        position = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        position = None
    if (
        not isinstance(position, dict)
        or set(position) != set(fields)
        or not all(isinstance(value, str) for value in position.values())
    ):
        raise ApplicationError("The cursor is not one this list returned.", details={"cursor": raw[:100]})
    return position


def next_url(request, cursor: str | None) -> str | None:
    """The same query with the next page's cursor, as an absolute URL; None on the last page."""
    if cursor is None:
        return None
    query = {key: value for key, value in request.query_params.items() if key != "cursor"} | {"cursor": cursor}
    return request.build_absolute_uri(f"{request.path}?{urlencode(query)}")
