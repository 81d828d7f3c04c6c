"""Text normalisation shared by PII detection and moderation.

Two flavours, on purpose:

- `for_detection` returns a `Normalized` text for the PII detectors, with a map from each of its
  characters back to the original: NFKC per character (full-width digits and `＠`, ligatures,
  presentation forms), the decimal digits of every script as ASCII digits, every space-like
  character (NBSP, thin and narrow spaces) as a space, every dash as `-`, Arabic letter variants
  as one form, typographic apostrophes as `'`, and invisible characters (zero-width spaces and
  joiners, word joiner, soft hyphen, direction marks, bidi embeddings, overrides and isolates,
  byte-order mark, variation selectors, tatweel) removed. A span found in the normalised text is
  turned into a span of the original with `original_span`, so what is redacted is the value as it
  was written, invisible characters included, with nothing of it left behind.
- `for_matching` may change the length freely (NFKC, case folding, dropping diacritics and the
  same invisible characters): moderation needs no offsets, only robust matching across scripts.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass

# Invisible characters people (or attackers) put between the digits of a value: removed before
# detection and before lexicon matching (format characters, fillers, variation selectors, tags).
# Tatweel (ـ) stretches an Arabic word without changing it.
INVISIBLE = (
    "\u00ad\u034f\u061c\u0640\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f"
)
_INVISIBLE_RE = re.compile(f"[{INVISIBLE}]")
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\ufe58\ufe63\uff0d"
# One-to-one replacements applied after NFKC: Arabic, Persian and Pashto spellings of the same
# letter (guests type on any of the keyboards) and typographic apostrophes.
_LETTER_TABLE = str.maketrans(
    {
        "ي": "ی",
        "ى": "ی",
        "ۍ": "ی",
        "ې": "ی",
        "ئ": "ی",
        "ك": "ک",
        "ة": "ه",
        "ۀ": "ه",
        "ھ": "ه",
        "ؤ": "و",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        # Urdu and Pashto letters for the same sounds (Urdu ٹ, Pashto ټ, Persian ت)
        "ٹ": "ت",
        "ټ": "ت",
        "ڈ": "د",
        "ډ": "د",
        "ڑ": "ر",
        "ړ": "ر",
        "ں": "ن",
        "ګ": "گ",
        "ہ": "ه",
        "ۂ": "ه",
        "ے": "ی",
        "ۓ": "ی",
        "\u2019": "'",
        "\u2018": "'",
        "`": "'",
        "\u00b4": "'",
        "\u02bc": "'",
        **dict.fromkeys(_DASHES, "-"),
    }
)
# Harakat, superscript alef and Quranic marks: dropped for matching only (they do not split digits).
_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")


def _detection_form(char: str) -> str:
    """What one character becomes for detection: "" (invisible), one character, or a few (NFKC)."""
    if _INVISIBLE_RE.match(char):
        return ""
    out = []
    for piece in unicodedata.normalize("NFKC", char):
        digit = unicodedata.decimal(piece, None)
        if digit is not None:
            out.append(str(digit))
        elif piece.isspace() and piece not in "\n\r\t":
            out.append(" ")
        else:
            out.append(piece)
    return "".join(out).translate(_LETTER_TABLE)


class _DetectionTable(dict):
    """`str.translate` table filled on first sight of each character (the loop stays in C)."""

    _LIMIT = 50_000  # distinct characters remembered; beyond that each is worked out again

    def __missing__(self, code: int) -> str | None:
        form = _detection_form(chr(code)) or None  # None deletes the character
        if len(self) < self._LIMIT:
            self[code] = form
        return form


_TABLE = _DetectionTable()


def _ascii_form(text: str) -> str:
    """The letter table on ASCII text: only the backtick changes (a dict translate is slow)."""
    return text.replace("`", "'") if "`" in text else text


@functools.cache
def _length_changers() -> re.Pattern[str]:
    """Characters that normalise to no character or to several (about 1,300 beyond the invisible
    ones: ligatures, fractions, enclosed numbers, presentation forms). Built once, in about 70 ms."""
    changing = [code for code in range(0x80, 0x30000) if len(unicodedata.normalize("NFKC", chr(code))) != 1]
    ranges: list[tuple[int, int]] = []
    for code in changing:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    spans = "".join(
        re.escape(chr(low)) if low == high else f"{re.escape(chr(low))}-{re.escape(chr(high))}" for low, high in ranges
    )
    return re.compile(f"[{INVISIBLE}{spans}]")


@functools.cache
def _replaced() -> tuple[re.Pattern[str], re.Pattern[str], frozenset[str]]:
    """(every character whose detection form is not itself, in the basic plane and beyond it; the
    few of them whose form holds another such character): about 5,700 characters, found in about
    0.1 s by cheap tests first (only a letter-table entry, a space, a decimal digit, an NFKC change
    or an invisible character can change). tests/guardrails/test_normalize.py checks the set
    against every code point."""
    letters = {chr(code) for code in _LETTER_TABLE}

    def may_change(char: str) -> bool:
        return (
            char in letters
            or char.isspace()
            or unicodedata.decimal(char, None) is not None
            or unicodedata.normalize("NFKC", char) != char
            or bool(_INVISIBLE_RE.match(char))
        )

    codes = itertools.chain(range(0x30000), range(0xE0000, 0xE1000))  # tags and selectors of plane 14
    changing = {char for char in map(chr, codes) if may_change(char) and _TABLE[ord(char)] != char}
    unstable = frozenset(char for char in changing if any(piece in changing for piece in _TABLE[ord(char)] or ""))
    # The characters of the basic plane as one class (compiled to a bitmap); those beyond it
    # (mathematical letters, tags) in another, searched only in a text that has such a character:
    # a class beyond the basic plane is searched range by range, a hundred times slower.
    basic = "".join(map(re.escape, sorted(char for char in changing if ord(char) <= 0xFFFF)))
    beyond = "".join(map(re.escape, sorted(char for char in changing if ord(char) > 0xFFFF)))
    return re.compile(f"[{basic}]"), re.compile(f"[{beyond}]"), unstable


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_MAX_REPLACED = 64  # distinct characters to replace one by one; more, and one `str.translate` is faster


def _translated(text: str) -> str:
    """`text.translate(_TABLE)`, by replacing only the characters of `text` that change: a text
    holds a few of them (digits of its script, letter variants), and `str.translate` with a dict
    looks up every character (about 50 µs for 500 Arabic-script characters, against 30)."""
    basic, beyond, unstable = _replaced()
    found = set(basic.findall(text))
    if _ASTRAL.search(text):
        found.update(beyond.findall(text))
    if len(found) > _MAX_REPLACED or not found.isdisjoint(unstable):
        return text.translate(_TABLE)
    for char in found:
        text = text.replace(char, _TABLE[ord(char)] or "")
    return text


@dataclass(frozen=True)
class Normalized:
    """A text as the detectors read it, and where each of its characters came from: either through
    the original positions of the characters that were removed (`deleted`, the common case: a ZWNJ
    in Persian), or through the original position of every character (`origin`, when NFKC expanded
    one into several)."""

    text: str
    origin: tuple[int, ...] | None = None
    deleted: tuple[int, ...] = ()

    def _original(self, index: int) -> int:
        if self.origin is not None:
            return self.origin[index]
        for position in self.deleted:  # sorted: each removal at or before the answer shifts it by one
            if position > index:
                break
            index += 1
        return index

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that `text[start:end]` was made from."""
        if self.origin is None and not self.deleted:
            return start, end
        return self._original(start), self._original(end - 1) + 1


def for_detection(text: str) -> Normalized:
    if text.isascii():
        return Normalized(_ascii_form(text))
    changers = _length_changers().findall(text)
    if not changers:
        return Normalized(_translated(text))
    if all(_TABLE[ord(char)] is None for char in changers):  # only removals
        deleted = tuple(match.start() for match in _length_changers().finditer(text))
        return Normalized(_translated(text), deleted=deleted)
    forms = [_TABLE[ord(char)] or "" for char in text]
    origin = [index for index, form in enumerate(forms) for _ in form]
    return Normalized("".join(forms), tuple(origin))


def for_matching(text: str) -> str:
    """Case-folded, NFKC, without diacritics or invisible characters, single-spaced: for lexicons."""
    folded = unicodedata.normalize("NFKC", _INVISIBLE_RE.sub("", text)).casefold()
    if folded.isascii():
        return _single_spaced(_ascii_form(folded))
    return _single_spaced(_translated(_DIACRITICS.sub("", folded)))


def _single_spaced(text: str) -> str:
    r"""Every run of whitespace as one space (`re.sub(r"\s+", " ", text)`; split and join are faster,
    and `str.split` and `\s` know the same whitespace)."""
    spaced = " ".join(text.split())
    if text[:1].isspace():
        spaced = " " + spaced
    if text[-1:].isspace() and spaced != " ":
        spaced += " "
    return spaced


def warm_up() -> None:
    _length_changers()
    _replaced()


def is_arabic_script(text: str) -> bool:
    return bool(_ARABIC_SCRIPT.search(text))
