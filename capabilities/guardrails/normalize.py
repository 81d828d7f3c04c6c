"""Text normalisation shared by PII detection and moderation.

Two flavours, on purpose:

- `for_detection` maps one character to one character (Arabic-Indic and Persian digits to ASCII,
  Arabic letter variants to one form, typographic apostrophes to '), so a span found in its output
  is a span of the original.
- `for_matching` may change the length (NFKC, case folding, dropping diacritics, tatweel and
  zero-width joiners): moderation needs no offsets, only robust matching across scripts.
"""

from __future__ import annotations

import re
import unicodedata

_ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
_PERSIAN = "۰۱۲۳۴۵۶۷۸۹"
# One-to-one: the same length in and out, so offsets stay valid.
_DETECTION_TABLE = str.maketrans({
    **{digit: str(value) for value, digit in enumerate(_ARABIC_INDIC)},
    **{digit: str(value) for value, digit in enumerate(_PERSIAN)},
    # Arabic, Persian and Pashto spellings of the same letter (guests type on any of the keyboards)
    "ي": "ی", "ى": "ی", "ۍ": "ی", "ې": "ی", "ئ": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه", "ھ": "ه", "ؤ": "و",
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
    "\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u02bc": "'",
})
# Harakat, superscript alef, Quranic marks, tatweel, zero-width (non-)joiners, direction marks.
_DROPPED = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u200c\u200d\u200e\u200f\u061c]")
_SPACES = re.compile(r"\s+")
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")


def for_detection(text: str) -> str:
    """ASCII digits and unified Arabic letters, same length as `text`."""
    return text.translate(_DETECTION_TABLE)


def for_matching(text: str) -> str:
    """Case-folded, NFKC, without diacritics or joiners, single-spaced: for lexicon matching."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _DROPPED.sub("", folded).translate(_DETECTION_TABLE)
    return _SPACES.sub(" ", folded)


def is_arabic_script(text: str) -> bool:
    return bool(_ARABIC_SCRIPT.search(text))
