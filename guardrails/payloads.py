"""Walking the strings of a JSON payload: values only, keys untouched.

Values under a key ending in `_base64` (the catalog's images and audio) are bytes, not text:
they are neither moderated nor redacted. A provider moderator would be paid to read an image's
bytes as text (and may flag them), and any rewrite inside them would corrupt what the model gets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

BINARY_SUFFIX = "_base64"


def map_strings(value: Any, transform: Callable[[str], str]) -> Any:
    """A copy of `value` with `transform` applied to every string inside it, in document order."""
    if isinstance(value, str):
        return transform(value)
    if isinstance(value, dict):
        return {
            key: item if isinstance(key, str) and key.endswith(BINARY_SUFFIX) else map_strings(item, transform)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [map_strings(item, transform) for item in value]
    return value


def strings_of(value: Any) -> list[str]:
    found: list[str] = []

    def collect(text: str) -> str:
        found.append(text)
        return text

    map_strings(value, collect)
    return found
