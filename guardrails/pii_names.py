"""Names in free text: what a redactor can find without a model of names.

A name has no shape (no digits, no checksum), so it is found by where it stands, in the languages
we serve:
- after an honorific or title (Mr, Mrs, Herr, Frau, Mme, Bay, Bayan, آقای, خانم, السيد, ښاغلی,
  ...) or before a Turkish or Urdu one that follows the name (Ayşe Hanım, Mehmet Bey, احمد صاحب);
- after a self-introduction ("my name is", "je m'appelle", "ich heiße", "adım", "اسمي",
  "نام من", "میرا نام", "زما نوم");
- anywhere, when it is a name the caller gave us in a name field (`guest_name`): the whole name,
  and each of its parts of four letters or more written as a name (capitalised), so "Dear Ms.
  Müller" in a message is pseudonymised with the guest's `<NAME_n>` family.

Latin-script names must be capitalised (a title followed by "room" is not a name); up to three
words are taken. Arabic-script names take the one or two words after the cue, stopping at a
title or a copula. Precision over recall: a bare first name with no cue ("Anna called") is not
found unless the caller named that guest. What this finds is pseudonymised like `guest_name`
(`<NAME_n>`, restored into the response and on the reviewer page), never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_LATIN_WORD = r"[A-ZÀ-ÖØ-ÞĀ-ſ][a-zß-öø-ÿĀ-ſ'’\-]+"
_ARABIC_WORD = r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]+"

# titles before a name; "M." (monsieur) only with its dot, "Dr" with or without
_LATIN_BEFORE = (
    r"Mr|Mrs|Ms|Miss|Mx|Dr|Sir|Madam|Mister|Herr|Frau|Fräulein|M\.|Mme|Mlle|Monsieur|Madame|"
    r"Mademoiselle|Sr|Sra|Señor|Señora|Sayın|Bay|Bayan"
)
_LATIN_AFTER = r"Bey|Hanım|Hanim|Efendi"
_LATIN_INTRO = (
    r"[Mm]y name is|[Mm]y name's|[Jj]e m['’]appelle|[Jj]e suis|[Ii]ch heiße|[Ii]ch heisse|[Mm]ein Name ist|"
    r"[Bb]enim adım|[Aa]dım|[Ii]smim|[Mm]era naam|[Mm]era nam"
)
_ARABIC_BEFORE = "السيد|السيدة|الأستاذ|الاستاذ|الأستاذة|آقای|آقا|خانم|جناب|سرکار|ښاغلی|میرمن|محترم|محترمه|محترمہ"
_ARABIC_AFTER = "صاحب|صاحبہ|جان|خان"
_ARABIC_INTRO = "اسمي|اسمى|اسمم|اسم من|نام من|میرا نام|مېرا نوم|زما نوم|زما نوم دی"
# words that end an Arabic-script name: copulas and titles ("is", "am", "doctor", "engineer")
_ARABIC_STOP = frozenset(
    {"است", "هست", "هستم", "ہے", "ہوں", "دی", "دے", "یم", "هو", "هي", "دکتر", "مهندس", "الدكتور", "ڈاکٹر", "و", "از"}
)

_LATIN_TITLED = (
    rf"(?<![\w.])(?:(?:{_LATIN_BEFORE})\.?\s+)+(?P<name>{_LATIN_WORD}(?:\s+{_LATIN_WORD}){{0,2}})"
    rf"|(?<!\w)(?:{_LATIN_INTRO})\s+(?P<intro>{_LATIN_WORD}(?:\s+{_LATIN_WORD}){{0,2}})"
)
_LATIN_TITLED_AFTER = rf"|(?P<before>{_LATIN_WORD}(?:\s+{_LATIN_WORD})?)\s+(?:{_LATIN_AFTER})(?!\w)"
_ARABIC_TITLED = rf"(?<!\S)(?:{_ARABIC_BEFORE}|{_ARABIC_INTRO})\s+(?P<name>{_ARABIC_WORD}(?:\s+{_ARABIC_WORD})?)"
_ARABIC_TITLED_AFTER = rf"|(?P<before>{_ARABIC_WORD})\s+(?:{_ARABIC_AFTER})(?!\S)"
# (cue pattern, the same without the title-after-name branch, the words that branch needs): that
# branch tries every word of a text, so it is left out of a text that holds none of its words
_CUES = tuple(
    (re.compile(titled + after), re.compile(titled + r"|(?P<before>(?!))"), tuple(words.split("|")))
    for titled, after, words in (
        (_LATIN_TITLED, _LATIN_TITLED_AFTER, _LATIN_AFTER),
        (_ARABIC_TITLED, _ARABIC_TITLED_AFTER, _ARABIC_AFTER),
    )
)


def _cue_pattern(index: int, text: str) -> re.Pattern[str]:
    full, without_after, words = _CUES[index]
    return full if any(word in text for word in words) else without_after


# capitalised words after a cue that are not names
_NOT_NAMES = frozenset(
    {
        "The", "This", "That", "Here", "There", "Room", "Reception", "Manager", "Guest", "Hotel", "Sorry",
        "Happy", "Glad", "Late", "Not", "Very", "Also", "Just", "Still", "Staying", "Arriving", "Le", "La",
        "Les", "Un", "Une", "Der", "Die", "Das", "Ein", "Eine", "Bir", "Bu", "Çok", "Misafir", "Oda",
        "Doctor", "Dr", "Prof", "Professor",
    }
)  # fmt: skip


@dataclass(frozen=True)
class NameSpan:
    start: int
    end: int

    def text(self, source: str) -> str:
        return source[self.start : self.end]


def name_spans(text: str, *, known: Iterable[str] = ()) -> list[NameSpan]:
    """Non-overlapping spans of `text` that hold a person's name, in order."""
    spans = [*_known_spans(text, known), *_cued_spans(text)]
    taken: list[NameSpan] = []
    for span in sorted(spans, key=lambda span: (span.start, -span.end)):
        if all(span.end <= other.start or span.start >= other.end for other in taken):
            taken.append(span)
    return taken


def _cued_spans(text: str) -> list[NameSpan]:
    spans = []
    for match in _cue_pattern(0, text).finditer(text):
        group = next(name for name in ("name", "intro", "before") if match.group(name))
        words = match.group(group).split()
        start = match.start(group)
        # drop leading and trailing capitalised words that are not names ("Mr. The ...")
        while words and words[0].rstrip(".") in _NOT_NAMES:
            start = text.index(words[1], start) if len(words) > 1 else match.end(group)
            words = words[1:]
        while words and words[-1] in _NOT_NAMES:
            words = words[:-1]
        if words:
            end = text.index(words[-1], start) + len(words[-1])
            spans.append(NameSpan(start, end))
    for match in _cue_pattern(1, text).finditer(text):
        group = "name" if match.group("name") else "before"
        words = match.group(group).split()
        kept = []
        for word in words:
            if word in _ARABIC_STOP:
                break
            kept.append(word)
        if kept:
            start = match.start(group)
            end = text.index(kept[-1], start) + len(kept[-1])
            spans.append(NameSpan(start, end))
    return spans


def _known_spans(text: str, known: Iterable[str]) -> list[NameSpan]:
    """The caller's own names wherever they stand: the whole name (any case, any spacing) and its
    parts of four letters or more, written capitalised as a name is."""
    spans = []
    for name in known:
        parts = name.split()
        if not parts:
            continue
        whole = r"\s+".join(re.escape(part) for part in parts)
        spans += [NameSpan(*m.span()) for m in re.finditer(rf"(?<!\w){whole}(?!\w)", text, re.IGNORECASE)]
        for part in parts:
            if (len(part) >= 4 and part[:1].isupper()) or (_is_arabic(part) and len(part) >= 3):
                spans += [NameSpan(*m.span()) for m in re.finditer(rf"(?<!\w){re.escape(part)}(?!\w)", text)]
    return spans


def _is_arabic(word: str) -> bool:
    return bool(re.fullmatch(_ARABIC_WORD, word))
