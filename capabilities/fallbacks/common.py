"""Helpers shared by the deterministic fallbacks: locales, dates, money, text and media.

Everything here is pure and total: a helper never raises on input that passed the capability's
input schema, because a fallback is the last link of a chain and must always answer.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import re
import unicodedata
from collections.abc import Sequence

from melmastoon_ai.locales import (  # noqa: F401  (the fallbacks' locale helpers live in the kernel)
    KNOWN_LOCALES,
    WRITTEN_LOCALES,
    Localized,
    locale_family,
    localized,
    resolve_locale,
    text_direction,
)


def parse_iso_date(value: object) -> datetime.date | None:
    """A calendar date from `YYYY-MM-DD`, or None (schemas may be validated without formats)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def shift_date(day: datetime.date, days: int) -> datetime.date | None:
    """`day + days`, or None when it leaves the calendar Python can represent."""
    try:
        return day + datetime.timedelta(days=days)
    except OverflowError:
        return None


# ISO 4217 minor units that differ from the usual two decimals.
_MINOR_UNITS = {
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
}


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency, 2)


def round_money(amount: float, currency: str) -> float:
    return round(amount, minor_units(currency))


def format_money(amount: float, currency: str) -> str:
    return f"{amount:,.{minor_units(currency)}f} {currency}".rstrip()


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def join_list(items: Sequence[str], family: str) -> str:
    separator = "، " if family in {"ar", "fa", "ps"} else ", "
    return separator.join(items)


_TOKEN = re.compile(r"\w+", re.UNICODE)
# Arabic clitics (conjunction, preposition, article) glued to the front of a word.
_ARABIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال")


# Persian and Arabic spell the same letters with different code points (ی/ي, ک/ك); the
# final ta marbuta is often typed as ha. Matching must not depend on the keyboard.
_LETTER_VARIANTS = str.maketrans(
    {
        "\u06cc": "\u064a",  # Persian yeh > Arabic yeh
        "\u0649": "\u064a",  # alef maksura > Arabic yeh
        "\u06a9": "\u0643",  # Persian keheh > Arabic kaf
        "\u0629": "\u0647",  # ta marbuta > heh
        "\u200c": " ",  # zero-width non-joiner (Persian half-space) separates words
    }
)


def normalize_text(text: str) -> str:
    """Lower case without diacritics (accents, hamza seats, harakat) and with letter variants unified."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(char for char in decomposed if unicodedata.category(char) != "Mn")
    return stripped.translate(_LETTER_VARIANTS)


def tokenize(text: str) -> list[str]:
    """Normalised word tokens, with Arabic-script prefixes stripped so lexicons stay small."""
    tokens = []
    for token in _TOKEN.findall(normalize_text(text)):
        for prefix in _ARABIC_PREFIXES:
            if token.startswith(prefix) and len(token) - len(prefix) >= 3:
                token = token[len(prefix) :]
                break
        tokens.append(token)
    return tokens


def decode_base64(data: str) -> bytes | None:
    """The bytes of a base64 string, or None when it is not valid base64."""
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def media_reference(payload: dict, inline_key: str, ref_key: str) -> str:
    """The caller's reference, or `inline:sha256:<hex>` naming the inline bytes it sent."""
    if payload.get(ref_key):
        return payload[ref_key]
    inline = payload.get(inline_key) or ""
    content = decode_base64(inline)
    digest = hashlib.sha256(content if content is not None else inline.encode()).hexdigest()
    return f"inline:sha256:{digest}"
