"""Government ID and passport numbers, with the country tables of `pii_countries`.

Three ways to be sure, strongest first:

1. A national ID with a distinctive shape and a checksum (Emirates ID, Pakistani CNIC and Iranian
   national code as written with dashes, UK National Insurance number, Spanish DNI/NIE, Italian
   codice fiscale) is an ID wherever it appears.
2. A national ID with a checksum but a plain digit shape (Turkish TCKN, French NIR, Saudi ID and
   Iqama, Iranian national code, German IdNr, Pakistani CNIC, NHS number, Egyptian, Dutch and
   Belgian numbers) is an ID in the tenant's own country, or after an ID context word in any of our
   languages ("ID card", "الهوية", "تذکره", "شناختی کارڈ", ...). A negative word ("booking") cannot
   cancel it: a well-formed, checksummed value is personal data whatever it is called.
3. A number without a checksum (Afghan tazkira, French CNI, Kuwaiti civil ID, any passport) is an
   ID or a passport only right after a context word of its kind, with nothing in between. German
   passport and ID card numbers (nine characters of their own alphabet, often with only two or three
   digits) are recognised by that alphabet there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from guardrails.pii_context import ContextIndex
from guardrails.pii_countries import DIGIT_SCHEMES, GERMAN_DOCUMENT, SHAPED_SCHEMES
from guardrails.pii_detect import Span

_CONTEXT_WINDOW = 40
_DIGIT_RUN = re.compile(r"\d(?<![\w\-/#.,+:]\d)(?:[ \-.]?\d){8,16}(?![\w\-])")  # asserts after the first digit
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")
_PASSPORT_TOKEN = re.compile(r"(?<![\w\-])(?=[A-Z]{0,5}\d)[A-Z0-9]{6,12}(?![\w\-])", re.IGNORECASE)
# Letters may stand inside an ID (L01X00T47) but separators only before digits, so a following word is never
# taken in; a suffix letter after a space stays with the number (UK NI numbers: AB 12 34 56 C).
_ID_TOKEN = re.compile(
    r"(?<![\w\-+])[A-Z]{0,3}[ \-]?\d(?:[ \-./]?\d|[A-Z]){4,20}(?:[ \-](?-i:[A-Z])(?![\w\-]))?"
    r"(?![\w\-])",
    re.IGNORECASE,
)
_DATE_SHAPE = re.compile(r"^\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}$")


def _key(raw: str) -> str:
    return _NOT_ALNUM.sub("", raw).upper()


def shaped_ids(text: str) -> Iterator[Span]:
    for pattern, check in SHAPED_SCHEMES:
        for match in pattern.finditer(text):
            if check(_key(match.group())):
                yield Span(match.start(), match.end(), "GOV_ID", _key(match.group()), priority=4)


def checksum_ids(text: str, *, country: str | None, context: ContextIndex) -> Iterator[Span]:
    for match in _DIGIT_RUN.finditer(text):
        digits = _key(match.group())
        schemes = [scheme for scheme in DIGIT_SCHEMES if scheme.length == len(digits) and scheme.check(digits)]
        if not schemes:
            continue
        hit = context.last_before(match.start(), window=_CONTEXT_WINDOW)
        if any(scheme.country == country for scheme in schemes) or (hit and hit.kind == "gov_id"):
            yield Span(match.start(), match.end(), "GOV_ID", digits, priority=4)


def _document_number(text: str, start: int, kind: str) -> re.Match[str] | None:
    """The token a passport or ID context word names: the generic shape (at least five digits) or a
    German document number."""
    stop = min(len(text), start + _CONTEXT_WINDOW + 24)
    german = GERMAN_DOCUMENT.search(text, start, stop)
    generic = (_PASSPORT_TOKEN if kind == "passport" else _ID_TOKEN).search(text, start, stop)
    if generic is not None and sum(char.isdigit() for char in generic.group()) >= 5:
        if german is None or generic.start() <= german.start():
            return generic
    if german is not None and any(char.isdigit() for char in german.group()):
        return german
    return None


def contextual_ids(text: str, *, context: ContextIndex) -> Iterator[Span]:
    """Passport and ID numbers named by the context word just before them."""
    seen: set[tuple[int, str]] = set()
    for hit in context.hits:
        # several context phrases often end at one place ("پاسپورت", "شماره پاسپورت"): what follows
        # is read once per place and kind
        if hit.kind not in ("passport", "gov_id") or (hit.end, hit.kind) in seen:
            continue
        seen.add((hit.end, hit.kind))
        match = _document_number(text, hit.end, hit.kind)
        if match is None or match.start() - hit.end > _CONTEXT_WINDOW:
            continue
        raw = text[match.start() : match.end()].strip(" -./")
        if _DATE_SHAPE.match(raw) or not context.gap_is_clear(hit.end, match.start()):
            continue
        start = match.start() + text[match.start() : match.end()].index(raw)
        kind = "PASSPORT" if hit.kind == "passport" else "GOV_ID"
        yield Span(start, start + len(raw), kind, _key(raw), priority=5)
