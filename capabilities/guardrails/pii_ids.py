"""Government ID and passport numbers.

Three ways to be sure, strongest first:

1. A national ID with a distinctive shape and a checksum (Emirates ID, Spanish DNI/NIE, Italian
   codice fiscale, Pakistani CNIC as written with dashes) is an ID wherever it appears.
2. A national ID with a checksum but a plain digit shape (Turkish TCKN, French NIR, Saudi ID and
   Iqama, Egyptian national ID, German IdNr, Dutch BSN, Iranian national code, Belgian national number) is an ID in the
   tenant's own country, or after an ID context word ("ID card", "الهوية", "تذکره", ...).
3. A number without a checksum (Afghan tazkira, Kuwaiti civil ID, any passport) is an ID or a
   passport only right after a context word of its kind, with no other number in between.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from stdnum import luhn
from stdnum.be import nn
from stdnum.de import idnr
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.pk import cnic
from stdnum.tr import tckimlik

from capabilities.guardrails.pii_context import ContextIndex
from capabilities.guardrails.pii_detect import Span

_CONTEXT_WINDOW = 40
_EG_GOVERNORATES = frozenset(
    "01 02 03 04 11 12 13 14 15 16 17 18 19 21 22 23 24 25 26 27 28 29 31 32 33 34 35 88".split())


def _saudi_id(digits: str) -> bool:
    return len(digits) == 10 and digits[0] in "12" and luhn.is_valid(digits)


def _egyptian_id(digits: str) -> bool:
    if len(digits) != 14 or digits[0] not in "23":
        return False
    month, day = int(digits[3:5]), int(digits[5:7])
    return 1 <= month <= 12 and 1 <= day <= 31 and digits[7:9] in _EG_GOVERNORATES


def _iranian_code(digits: str) -> bool:
    if len(digits) != 10 or len(set(digits)) == 1:
        return False
    remainder = sum(int(digit) * (10 - index) for index, digit in enumerate(digits[:9])) % 11
    check = int(digits[9])
    return check == remainder if remainder < 2 else check == 11 - remainder


def _emirates_id(digits: str) -> bool:
    return len(digits) == 15 and digits.startswith("784") and luhn.is_valid(digits)


@dataclass(frozen=True)
class Scheme:
    country: str
    length: int
    check: Callable[[str], bool]


# Plain-digit IDs with a checksum: valid in the tenant's country or after an ID context word.
_DIGIT_SCHEMES = (
    Scheme("TR", 11, tckimlik.is_valid), Scheme("FR", 15, nir.is_valid), Scheme("SA", 10, _saudi_id),
    Scheme("EG", 14, _egyptian_id), Scheme("DE", 11, idnr.is_valid), Scheme("NL", 9, bsn.is_valid),
    Scheme("IR", 10, _iranian_code), Scheme("AE", 15, _emirates_id), Scheme("BE", 11, nn.is_valid),
)
# Shapes distinctive enough, with their checksum, to stand without context.
_SHAPED = (
    (re.compile(r"(?<![\w\-])784[ \-]?\d{4}[ \-]?\d{7}[ \-]?\d(?![\w\-])"), _emirates_id),
    (re.compile(r"(?<![\w\-])\d{8}[ \-]?[A-Z](?!\w)"), dni.is_valid),
    (re.compile(r"(?<![\w\-])[XYZ][ \-]?\d{7}[ \-]?[A-Z](?!\w)"), nie.is_valid),
    (re.compile(r"(?<![\w\-])[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z](?!\w)"), codicefiscale.is_valid),
    (re.compile(r"(?<![\w\-])\d{5}-\d{7}-\d(?![\w\-])"), cnic.is_valid),
)
_DIGIT_RUN = re.compile(r"(?<![\w\-/#.,+:])\d(?:[ \-.]?\d){8,16}(?![\w\-])")
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")
_PASSPORT_TOKEN = re.compile(r"(?<![\w\-])(?=[A-Z]{0,5}\d)[A-Z0-9]{6,12}(?![\w\-])", re.IGNORECASE)
# Letters may stand inside an ID (L01X00T47) but separators only before digits, so a following word is never
# taken in.
_ID_TOKEN = re.compile(r"(?<![\w\-+])[A-Z]{0,3}[ \-]?\d(?:[ \-./]?\d|[A-Z]){4,20}(?![\w\-])", re.IGNORECASE)
_DATE_SHAPE = re.compile(r"^\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}$")


def _key(raw: str) -> str:
    return _NOT_ALNUM.sub("", raw).upper()


def shaped_ids(text: str) -> Iterator[Span]:
    for pattern, check in _SHAPED:
        for match in pattern.finditer(text):
            if check(_key(match.group())):
                yield Span(match.start(), match.end(), "GOV_ID", _key(match.group()), priority=4)


def checksum_ids(text: str, *, country: str | None, context: ContextIndex) -> Iterator[Span]:
    for match in _DIGIT_RUN.finditer(text):
        digits = _key(match.group())
        schemes = [scheme for scheme in _DIGIT_SCHEMES if scheme.length == len(digits) and scheme.check(digits)]
        if not schemes:
            continue
        hit = context.last_before(match.start(), window=_CONTEXT_WINDOW)
        if any(scheme.country == country for scheme in schemes) or (hit and hit.kind == "gov_id"):
            yield Span(match.start(), match.end(), "GOV_ID", digits, priority=4)


def _gap_is_clear(text: str, start: int, end: int, context: ContextIndex) -> bool:
    """Nothing between a context word and its number: no digit, no line break, no other context word."""
    gap = text[start:end]
    if any(char.isdigit() or char == "\n" for char in gap):
        return False
    latest = context.last_before(end, window=end - start)
    return latest is None or latest.end <= start


def contextual_ids(text: str, *, context: ContextIndex) -> Iterator[Span]:
    """Passport and ID numbers named by the context word just before them."""
    for hit in context.hits:
        if hit.kind not in ("passport", "gov_id"):
            continue
        token_re = _PASSPORT_TOKEN if hit.kind == "passport" else _ID_TOKEN
        match = token_re.search(text, hit.end, min(len(text), hit.end + _CONTEXT_WINDOW + 24))
        if match is None or match.start() - hit.end > _CONTEXT_WINDOW:
            continue
        raw = match.group().strip(" -./")
        digits = sum(char.isdigit() for char in raw)
        if digits < 5 or _DATE_SHAPE.match(raw) or not _gap_is_clear(text, hit.end, match.start(), context):
            continue
        start = match.start() + match.group().index(raw)
        kind = "PASSPORT" if hit.kind == "passport" else "GOV_ID"
        yield Span(start, start + len(raw), kind, _key(raw), priority=5)
