"""PII redaction: find emails, phone numbers, cards, IBANs, government IDs and passport numbers,
and replace each with a typed placeholder (`<PHONE_1>`) before anything reaches a model or a log.

Detection runs on `normalize.for_detection(text)` (NFKC, the digits of every script as ASCII,
invisible characters removed, every space as a space), and each span found there is mapped back to
the original text, so full-width digits, zero-width characters or non-breaking spaces between the
digits neither hide a value nor leave a piece of it behind. Detectors may claim
overlapping text (the digits inside an IBAN can pass Luhn); the span with the lower priority
number wins: email, IBAN, card, international phone, checksummed ID, ID or passport by context,
local phone.

The mapping from placeholder to original value lives only in memory, for `restore`: it is never
stored or logged.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from guardrails import pii_detect, pii_email, pii_ids
from guardrails.normalize import for_detection
from guardrails.payloads import map_strings
from guardrails.pii_context import ContextIndex
from guardrails.pii_detect import Span
from guardrails.pii_names import name_spans

PII_TYPES = ("EMAIL", "PHONE", "CARD", "IBAN", "GOV_ID", "PASSPORT")
# A guest's name is found by where it is, not by its shape: the whole value of one of these keys
# becomes `<NAME_n>` (a model writes "Dear <NAME_1>", the response and the reviewer page put it back).
NAME_KEYS = frozenset({"guest_name", "guest_first_name", "guest_last_name", "guest_full_name"})
_PLACEHOLDER = re.compile(r"<(?:" + "|".join((*PII_TYPES, "NAME")) + r")_\d+>")


def find_spans(text: str, *, country: str | None = None) -> list[Span]:
    """Non-overlapping PII spans of `text`, in order, as offsets into `text` itself."""
    if not may_hold_pii(text):
        return []
    normalized = for_detection(text)
    found = _find_normalized(normalized.text, country=country)
    if normalized.origin is None and not normalized.deleted:
        return found
    return [
        Span(start, end, span.type, span.key, span.priority)  # (dataclasses.replace costs 5 times as much)
        for span in found
        for start, end in [normalized.original_span(span.start, span.end)]
    ]


def may_hold_pii(text: str) -> bool:
    """False when `text` cannot hold any value the detectors find: no digit of any script, no at
    sign, nothing that may be a spelt-out email address."""
    return any(char.isdigit() or char in "@＠﹫" for char in text) or pii_email.may_be_spelt(text)


def _find_normalized(normalized: str, *, country: str | None) -> list[Span]:
    context = ContextIndex(normalized)
    country = country.upper() if country else None
    candidates: list[Span] = [
        *pii_email.emails(normalized),
        *pii_detect.ibans(_upper(normalized)),
        *pii_detect.cards(normalized),
        *pii_ids.shaped_ids(normalized),
        *pii_ids.checksum_ids(normalized, country=country, context=context),
        *pii_ids.contextual_ids(normalized, context=context),
    ]
    # phones last: a window a span of higher priority already claims would lose anyway, so it is not parsed
    candidates += pii_detect.phones(normalized, country=country, context=context, claimed=candidates)
    return _resolve(candidates)


def _upper(text: str) -> str:
    """Upper case for IBANs typed in lower case, unless it would move offsets (ß becomes SS)."""
    upper = text.upper()
    return upper if len(upper) == len(text) else text


def _resolve(candidates: Iterable[Span]) -> list[Span]:
    taken: list[Span] = []
    for span in sorted(candidates, key=lambda span: (span.priority, span.start, -span.end)):
        if all(span.end <= other.start or span.start >= other.end for other in taken):
            taken.append(span)
    return sorted(taken, key=lambda span: span.start)


@dataclass
class Placeholders:
    """Numbering shared by every string of one request: one value, one placeholder."""

    mapping: dict[str, str] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)
    _by_key: dict[tuple[str, str], str] = field(default_factory=dict)
    _next: Counter = field(default_factory=Counter)

    def placeholder_for(self, span: Span, original: str) -> str:
        return self.placeholder_of(span.type, span.key, original)

    def placeholder_of(self, kind: str, key: str, original: str) -> str:
        self.counts[kind] += 1
        known = self._by_key.get((kind, key))
        if known:
            return known
        self._next[kind] += 1
        placeholder = f"<{kind}_{self._next[kind]}>"
        self._by_key[(kind, key)] = placeholder
        self.mapping[placeholder] = original
        return placeholder


@dataclass(frozen=True)
class Redaction:
    text: str
    counts: dict[str, int]
    mapping: dict[str, str]
    spans: tuple[Span, ...] = ()

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _redact_with(
    text: str, placeholders: Placeholders, country: str | None, names: tuple[str, ...] = ()
) -> tuple[str, list[Span]]:
    """PII spans replaced by their placeholders, then the names found in what is left
    (guardrails/pii_names.py: by a title or an introduction, or the caller's own `names`)."""
    spans = find_spans(text, country=country)
    redacted = text
    if spans:
        parts, cursor = [], 0
        for span in spans:
            parts.append(text[cursor : span.start])
            parts.append(placeholders.placeholder_for(span, text[span.start : span.end]))
            cursor = span.end
        parts.append(text[cursor:])
        redacted = "".join(parts)
    return _pseudonymise_free_names(redacted, placeholders, names), spans


def _pseudonymise_free_names(text: str, placeholders: Placeholders, names: tuple[str, ...]) -> str:
    found = name_spans(text, known=names)
    if not found:
        return text
    parts, cursor = [], 0
    for span in found:
        original = span.text(text)
        parts.append(text[cursor : span.start])
        parts.append(placeholders.placeholder_of("NAME", _name_key(original), original))
        cursor = span.end
    parts.append(text[cursor:])
    return "".join(parts)


def _name_key(name: str) -> str:
    """One name, one placeholder, however it is cased or spaced."""
    return " ".join(name.split()).casefold()


def redact(text: str, *, country: str | None = None) -> Redaction:
    """`text` with every PII span replaced by its placeholder; `country` is the tenant's (ISO 3166
    alpha-2) and lets local phone numbers and national IDs be recognised. Names the text shows
    by a title or an introduction become `<NAME_n>` too."""
    placeholders = Placeholders()
    redacted, spans = _redact_with(text, placeholders, country)
    return Redaction(text=redacted, counts=dict(placeholders.counts), mapping=placeholders.mapping, spans=tuple(spans))


def redact_payload(payload: dict, *, country: str | None = None) -> tuple[dict, Redaction]:
    """Every string value of a JSON payload redacted (keys untouched), one numbering for all of them:
    the names under NAME_KEYS become `<NAME_n>`, and so do those names (and names found by a title
    or an introduction) wherever the payload's free text repeats them.
    The aggregate `Redaction` has no text and no spans: the payload is its text."""
    placeholders = Placeholders()
    names: list[str] = []
    pseudonymised = _pseudonymised_names(payload, placeholders, names)
    known = tuple(names)
    redacted = map_strings(pseudonymised, lambda text: _redact_with(text, placeholders, country, known)[0])
    return redacted, Redaction(text="", counts=dict(placeholders.counts), mapping=placeholders.mapping)


def _pseudonymised_names(value, placeholders: Placeholders, names: list[str]):
    """`value` with the string under every NAME_KEYS key replaced by its `<NAME_n>` placeholder
    (one name, one placeholder, however it is cased or spaced); the names are added to `names`."""
    if isinstance(value, dict):
        pseudonymised = {}
        for key, item in value.items():
            if key in NAME_KEYS and isinstance(item, str) and item.strip():
                names.append(item)
                pseudonymised[key] = placeholders.placeholder_of("NAME", _name_key(item), item)
            else:
                pseudonymised[key] = _pseudonymised_names(item, placeholders, names)
        return pseudonymised
    if isinstance(value, list | tuple):
        return [_pseudonymised_names(item, placeholders, names) for item in value]
    return value


def restore(text: str, mapping: dict[str, str]) -> str:
    """Put the original values back where a model's output repeats a placeholder of this request."""
    if not mapping or "<" not in text:
        return text
    return _PLACEHOLDER.sub(lambda match: mapping.get(match.group(), match.group()), text)
