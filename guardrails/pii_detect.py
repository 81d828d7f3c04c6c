"""Detectors for PII with a checkable shape: phone numbers, payment cards and IBANs.

Each detector reads text already passed through `normalize.for_detection` (ASCII digits, same
length as the original) and yields `Span`s. A detector proves what it can: an IBAN passes
ISO 7064 mod 97-10 and its country's BBAN structure, a card passes Luhn and a brand's prefix and
length, a phone number is valid for its country in libphonenumber's metadata.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum.iso7064 import mod_97_10

from guardrails.pii_context import ContextIndex
from guardrails.pii_countries import EXTRA_IBAN_BBAN, EXTRA_IBAN_LENGTHS, GUEST_REGIONS, is_card_number


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    type: str
    key: str  # canonical value: the same person's number written twice gets one placeholder
    priority: int = 9  # lower wins when two detectors claim overlapping text


# --- digit groups -----------------------------------------------------------------------------------
_DIGITS = re.compile(r"\d+")


_MAX_GROUPS = 8  # no phone number, card or ID is written in more groups than this


def _windows(groups: list[re.Match[str]]) -> Iterator[tuple[int, int]]:
    """Runs of consecutive digit groups, longest first from the left: (first index, last index + 1)."""
    for first in range(len(groups)):
        for last in range(min(len(groups), first + _MAX_GROUPS), first, -1):
            yield first, last


# --- payment cards ----------------------------------------------------------------------------------
# Never after a plus: "+49 1512 3578408" is a phone number whose digits after the plus may pass Luhn.
# (The assertion on what precedes comes after the first digit, so the engine skips to digits.)
_CARD_CANDIDATE = re.compile(r"\d(?<![\w\-/#.,+]\d)(?:[ \-.]?\d){11,18}(?![\d\-]|\.\d)")


_IBAN_HEAD = re.compile(r"[A-Z]{2}\d{2}[ \-]?$", re.IGNORECASE)


def inside_iban_shape(text: str, start: int) -> bool:
    """Digits right after `CC12 `: the rest of an IBAN-shaped string. A valid IBAN is claimed by the
    IBAN detector; one with a wrong check digit is not a card or a phone number either."""
    return bool(_IBAN_HEAD.search(text, max(0, start - 5), start))


def cards(text: str) -> Iterator[Span]:
    for match in _CARD_CANDIDATE.finditer(text):
        if inside_iban_shape(text, match.start()):
            continue
        groups = list(_DIGITS.finditer(match.group()))
        pieces = [group.group() for group in groups]
        for first, last in _windows(groups):
            # A grouped number (4111 1111 1111 1112) that fails is not a card, nor is any part of it;
            # only a compact card number may be cut out of its neighbours (ref 12 4111111111111111).
            if (first, last) != (0, len(groups)) and last - first > 1:
                continue
            digits = "".join(pieces[first:last])
            if is_card_number(digits):
                base = match.start()
                yield Span(base + groups[first].start(), base + groups[last - 1].end(), "CARD", digits, priority=2)
                break


# --- IBANs -------------------------------------------------------------------------------------------
def _iban_lengths() -> dict[str, int]:
    """Total IBAN length per country, from python-stdnum's registry of BBAN structures."""
    lengths = {}
    line_re = re.compile(r'^([A-Z]{2}) .*bban="([^"]+)"')
    for line in resources.files("stdnum").joinpath("iban.dat").read_text(encoding="utf-8").splitlines():
        match = line_re.match(line)
        if match:
            lengths[match.group(1)] = 4 + sum(int(n) for n in re.findall(r"(\d+)!", match.group(2)))
    return lengths


_IBAN_LENGTHS = _iban_lengths() | EXTRA_IBAN_LENGTHS
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2})\d{2}(?=[ \-]?[A-Z0-9])")
_ALNUM_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def _iban_end(text: str, position: int, needed: int) -> int | None:
    """Where an IBAN of `needed` more characters starting at `position` ends, separators allowed."""
    while needed:
        if position < len(text) and text[position] in _ALNUM_UPPER:
            needed -= 1
            position += 1
        elif (
            position + 1 < len(text)
            and text[position] in " -"
            and text[position + 1] in _ALNUM_UPPER
            and text[position - 1] in _ALNUM_UPPER
        ):
            position += 1
        else:
            return None
    if position < len(text) and text[position].isalnum():
        return None
    return position


def ibans(text: str) -> Iterator[Span]:
    for match in _IBAN_START.finditer(text):
        length = _IBAN_LENGTHS.get(match.group(1))
        if length is None:
            continue
        end = _iban_end(text, match.end(), length - 4)
        if end is not None and _valid_iban(stdnum_iban.compact(text[match.start() : end])):
            yield Span(match.start(), end, "IBAN", stdnum_iban.compact(text[match.start() : end]), priority=1)


def _valid_iban(compact: str) -> bool:
    bban = EXTRA_IBAN_BBAN.get(compact[:2])
    if bban is None:
        return stdnum_iban.is_valid(compact)
    return bool(bban.fullmatch(compact[4:])) and mod_97_10.is_valid(compact[4:] + compact[:4])


# --- phone numbers -----------------------------------------------------------------------------------
# `(?<![\w+\-/#.,])(?:(?:\+|00) ?)?\(?\d(?:[ \-.()/]{0,3}\d){5,}` with the assertion after the first
# character of each way to start, so that the engine skips to a plus, a parenthesis or a digit.
_NOT_AFTER = r"[\w+\-/#.,]"
_PHONE_CANDIDATE = re.compile(
    rf"(?:\+(?<!{_NOT_AFTER}\+) ?\(?\d|0(?<!{_NOT_AFTER}0)0 ?\(?\d|\((?<!{_NOT_AFTER}\()\d|\d(?<!{_NOT_AFTER}\d))"
    r"(?:[ \-.()/]{0,3}\d){5,}"
)
_DATE_SHAPE = re.compile(r"^\(?\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}\)?$")
# A slash is a separator only after an area code (German 0221/8856627), never twice (dates).
_SLASHED = re.compile(r"\(?0\d{1,5}\)?/\d[\d \-]{2,}")
_CONTEXT_WINDOW = 32


@functools.cache
def _trunk_prefix(region: str) -> str | None:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    return metadata.national_prefix if metadata else None


@functools.cache
def _national_lengths(region: str) -> frozenset[int]:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.general_desc is None:
        return frozenset()
    return frozenset(metadata.general_desc.possible_length or ())


def _plausible(digits: str, region: str) -> bool:
    """Whether a local number of these digits can be one of `region` at all: its length without the
    trunk prefix is one the region's numbers have (saves parsing most candidates)."""
    trunk = _trunk_prefix(region) or ""
    national = len(digits) - len(trunk) if trunk and digits.startswith(trunk) else len(digits)
    return national in _national_lengths(region)


def _valid_number(raw: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _phone_in(raw: str, digits: str, *, country: str | None, context: str | None) -> phonenumbers.PhoneNumber | None:
    """The valid phone number `raw` spells, under the rules for how it is written."""
    bare = raw.lstrip("(")
    if bare.startswith("+"):
        return _valid_number(bare, None)
    if bare.startswith("00"):
        return _valid_number("+" + bare[2:], None)
    if context == "negative" or _DATE_SHAPE.match(raw.replace(" ", "")) or not 7 <= len(digits) <= 15:
        return None
    if "/" in raw and not _SLASHED.fullmatch(raw):
        return None
    if country and _plausible(digits, country):
        trunk = _trunk_prefix(country)
        if (trunk and digits.startswith(trunk)) or context == "phone":
            number = _valid_number(raw, country)
            if number is not None:
                return number
    if context == "phone":
        return _named_phone(raw, digits, country)
    return _guest_number_as_written(raw, digits, country)


def _guest_regions(digits: str, country: str | None) -> Iterator[str]:
    """The guests' countries other than the tenant's whose trunk prefix `digits` starts with."""
    for region in GUEST_REGIONS:
        trunk = _trunk_prefix(region)
        if region != country and trunk and digits.startswith(trunk) and _plausible(digits, region):
            yield region


def _named_phone(raw: str, digits: str, country: str | None) -> phonenumbers.PhoneNumber | None:
    if len(digits) >= 10 and digits[0] != "0":  # no country calling code starts with 0
        number = _valid_number("+" + digits, None)  # an international number without its plus
        if number is not None:
            return number
    for region in _guest_regions(digits, country):
        number = _valid_number(raw, region)
        if number is not None:
            return number
    return None


def _group_lengths(text: str) -> list[int]:
    return [len(group) for group in _DIGITS.findall(text)]


def _guest_number_as_written(raw: str, digits: str, country: str | None) -> phonenumbers.PhoneNumber | None:
    """A guest's local number from another country, unnamed, counts when it is grouped exactly as
    that country writes its numbers (a Turkish mobile at a Dubai hotel: 0532 123 45 67); a bare run
    of digits is more often an order number."""
    if len(_DIGITS.findall(raw)) < 2:
        return None
    for region in _guest_regions(digits, country):
        number = _valid_number(raw, region)
        if number is not None:
            written = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            if _group_lengths(written) == _group_lengths(raw):
                return number
    return None


def _card_shaped(candidate: str, groups: list[re.Match[str]]) -> bool:
    """Four-digit groups making 13-19 digits: a card number (valid or not), never a phone inside it."""
    total = sum(len(group.group()) for group in groups)
    return (
        not candidate.startswith(("+", "00"))
        and len(groups) >= 4
        and 13 <= total <= 19
        and all(len(group.group()) == 4 for group in groups[:-1])
    )


def _outranked(start: int, end: int, priority: int, claimed: list[tuple[int, int, int]]) -> bool:
    """Whether a span of higher priority (lower number) among `claimed` (start, end, priority) overlaps."""
    return any(other < priority and left < end and start < right for left, right, other in claimed)


def phones(text: str, *, country: str | None, context: ContextIndex, claimed: list[Span] = ()) -> Iterator[Span]:
    claims = [(span.start, span.end, span.priority) for span in claimed]
    for match in _PHONE_CANDIDATE.finditer(text):
        if inside_iban_shape(text, match.start()):
            continue
        candidate, base = match.group(), match.start()
        groups = list(_DIGITS.finditer(candidate))
        if _card_shaped(candidate, groups):
            continue
        pieces = [group.group() for group in groups]
        taken_until = 0
        for first, last in _windows(groups):
            if first < taken_until:
                continue
            digits = "".join(pieces[first:last])
            if not 7 <= len(digits) <= 17:
                continue
            start, end = (0 if first == 0 else groups[first].start()), groups[last - 1].end()
            raw = candidate[start:end]
            priority = 3 if raw.lstrip("(").startswith(("+", "00")) else 6
            if _outranked(base + start, base + end, priority, claims):
                continue
            # an international number needs no context word: it is not looked for
            kind = None if priority == 3 else context.kind_naming(base + start, window=_CONTEXT_WINDOW)
            number = _phone_in(raw, digits, country=country, context=kind)
            if number is None:
                continue
            yield Span(
                base + start,
                base + end,
                "PHONE",
                phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
                priority=priority,
            )
            taken_until = last
