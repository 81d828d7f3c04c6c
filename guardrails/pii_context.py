"""Context words around ambiguous PII (data/pii_context.json): which kind of word comes last
before a position. A passport number, a national ID without a checksum, or a local phone number
in a country without a trunk prefix is only told apart from a booking number by what precedes it."""

from __future__ import annotations

import bisect
import json
import re
from pathlib import Path
from typing import NamedTuple

from guardrails.lexicon import TermIndex
from guardrails.normalize import is_arabic_script

KINDS = ("passport", "gov_id", "phone", "negative")


def _as_term(entry: str) -> str:
    """Arabic-script context words take any suffix (پاسپورتم, جوازي); Latin ones say so with `*`."""
    return entry + "*" if is_arabic_script(entry) and not entry.endswith("*") else entry


def _index(path: Path) -> TermIndex:
    data = json.loads(path.read_text(encoding="utf-8"))
    terms = {kind: {_as_term(entry): 1.0 for entry in data[kind]} for kind in KINDS}
    return TermIndex([{"locale": "context", "terms": terms}])


_INDEX = _index(Path(__file__).with_name("data") / "pii_context.json")


class ContextHit(NamedTuple):  # a tuple: made for every context word of every text, and cheaper than a dataclass
    start: int
    end: int
    kind: str


_DIGIT_RUN = re.compile(r"\d+")
# Every detector that asks for context looks at most this far back from a value, and every value
# it asks about has a digit: a context phrase that starts further from any digit can name nothing
# (the longest phrase plus the longest gap, 40 + 24 characters, and the letters of a passport
# number before its first digit, with room to spare).
_REACH = 120


def _before_digits(text: str) -> list[tuple[int, int]]:
    """Merged (start, end) ranges that end at a digit run and reach `_REACH` characters back."""
    windows: list[tuple[int, int]] = []
    for run in _DIGIT_RUN.finditer(text):
        start, end = max(0, run.start() - _REACH), run.start()
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


class ContextIndex:
    """Every context word of one text (already `for_detection`-normalised), ordered by where it ends."""

    def __init__(self, text: str) -> None:
        self.text = text
        lowered = text.lower()
        if len(lowered) != len(text):  # a character whose lower case is longer (İ): match as written
            lowered = text
        found = [
            ContextHit(match.start, match.end, match.term.category)
            for match in _INDEX.find(lowered, _before_digits(text))
        ]
        self.hits = sorted(found, key=lambda hit: (hit.end, hit.start))
        self._ends = [hit.end for hit in self.hits]

    def last_before(self, position: int, *, window: int) -> ContextHit | None:
        """The last context word ending at or before `position`, at most `window` characters away."""
        index = bisect.bisect_right(self._ends, position) - 1
        if index < 0:
            return None
        hit = self.hits[index]
        return hit if position - hit.end <= window else None

    def gap_is_clear(self, start: int, end: int) -> bool:
        """Nothing between a context word (ending at `start`) and a value (at `end`): no digit, no
        line break, no other context word. Then the word names that value."""
        if any(char.isdigit() or char == "\n" for char in self.text[start:end]):
            return False
        latest = self.last_before(end, window=end - start)
        return latest is None or latest.end <= start

    def kind_naming(self, position: int, *, window: int) -> str | None:
        """The kind of the last context word before `position` that applies to the value there. A
        negative word ("room", "order") applies only to the number it names, right after it: "room 12,
        call 0171 2345678" has its phone number even though "room" comes earlier."""
        index = bisect.bisect_right(self._ends, position) - 1
        while index >= 0 and position - self.hits[index].end <= window:
            hit = self.hits[index]
            if hit.kind != "negative" or self.gap_is_clear(hit.end, position):
                return hit.kind
            index -= 1
        return None
