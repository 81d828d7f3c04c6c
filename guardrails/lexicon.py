"""Weighted phrase lexicons and their matcher, shared by moderation (lexicons/<locale>.json) and
the PII context words (data/pii_context.json).

A term is a phrase of words matched at word boundaries on normalised text:

- `word*` takes any suffix (`prostitute*`), a lone `*` is exactly one word, `~` up to three;
- `{slot}` is any phrase of the lexicon's slot list (`{group} are {dehuman}`), also inside a word
  (`l'{drugs}`);
- in Arabic script a word may carry a proclitic (و ف ب ل ال س ک), since they attach to the word
  (`اقتل*` finds `ساقتلک`), and the space between words is optional, since Persian and Pashto write
  a verb prefix with a space, a zero-width non-joiner or nothing (می کشمت, میکشمت).

Matching does not scan the text once per term: the text is cut into words once, each word looks up
the terms that can start with it (cached per word), and only those are tried.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, cast

from guardrails.normalize import for_matching, is_arabic_script

LEXICON_DIR = Path(__file__).with_name("lexicons")
ALLOW = "allow"
_PROCLITICS = ("وال", "بال", "فال", "لل", "ال", "و", "ف", "ب", "ل", "س", "ک")
_PROCLITIC_RE = "(?:" + "|".join(_PROCLITICS) + ")?"
_WORD = re.compile(r"\w+")
_GROUP = re.Match.group
_GAP = r"(?:\s+\S+){0,3}"
_SLOT_REF = re.compile(r"\{(\w+)\}")
_CACHE_LIMIT = 50_000


def lexicon_form(text: str) -> str:
    """`for_matching`, and a Turkish capital İ read as i: case folding makes it i + a combining dot
    above, which is no word character and would cut "İstemiyoruz" in two. (Only here: the
    classifier's features stay those of `for_matching`.)"""
    return lexicon_form_of(for_matching(text))


def lexicon_form_of(matching: str) -> str:
    """`lexicon_form` of a text already passed through `for_matching`."""
    return matching.replace("i\u0307", "i") if "\u0307" in matching else matching


@dataclass(frozen=True)
class Term:
    locale: str
    category: str
    phrase: str
    weight: float
    pattern: re.Pattern[str]
    # For each later word of the phrase, the strings one of which the text must contain for the
    # pattern to match (the word itself, or the first word of each alternative of its slot): checked
    # with `in` before the pattern is tried, which rules out most slot-headed terms ("{group} ...")
    # for the price of a substring search shared by every term that needs the same strings.
    requires: tuple[frozenset[str], ...] = ()


class Match(NamedTuple):  # a tuple: made for every term found, and cheaper than a dataclass
    term: Term
    start: int
    end: int


def _word_pattern(word: str) -> str:
    open_suffix = word.endswith("*")
    body = re.escape(word.rstrip("*")) + (r"\w*" if open_suffix else "")
    return (_PROCLITIC_RE + body) if is_arabic_script(word) else body


def _token_pattern(word: str, slots: dict[str, list[str]]) -> str:
    """A word, a `{slot}`, or a word around a slot (`l'{drugs}`, `d'{people}`)."""
    if not _SLOT_REF.search(word):
        return _word_pattern(word)
    pieces, cursor = [], 0
    for ref in _SLOT_REF.finditer(word):
        if ref.start() > cursor:
            pieces.append(re.escape(word[cursor : ref.start()]))
        pieces.append("(?:" + "|".join(_sequence(alt.split(), {}) for alt in slots[ref.group(1)]) + ")")
        cursor = ref.end()
    if cursor < len(word):
        pieces.append(_word_pattern(word[cursor:]))
    return "".join(pieces)


def _sequence(words: list[str], slots: dict[str, list[str]]) -> str:
    space = r"\s*" if any(is_arabic_script(word) for word in words) else r"\s+"
    parts: list[str] = []
    for word in words:
        if word == "~":
            parts.append(_GAP)
            continue
        piece = r"\S+" if word == "*" else _token_pattern(word, slots)
        parts.append((space if parts else "") + piece)
    return "".join(parts)


def _index_keys(phrase: str, slots: dict[str, list[str]]) -> list[tuple[str, bool]]:
    """(key, is_prefix) under which a phrase is found: the leading word characters of its first word."""
    first = phrase.split()[0]
    if first in ("*", "~"):
        raise ValueError(f"a term must start with a word: {phrase!r}")
    ref = _SLOT_REF.search(first)
    heads = [first[: ref.start()] + alt for alt in slots[ref.group(1)]] if ref else [first]
    keys = []
    for head in heads:
        word = _WORD.match(head)
        if word is None:
            raise ValueError(f"a term must start with a word: {phrase!r}")
        first_word = head.split()[0]
        keys.append((word.group(), first_word.endswith("*") and word.end() == len(first_word) - 1))
    return keys


def _required_strings(phrase: str, slots: dict[str, list[str]]) -> tuple[frozenset[str], ...]:
    """What `Term.requires` holds for a phrase: only strings its pattern spells literally."""
    required = []
    for word in phrase.split()[1:]:
        if word in ("*", "~"):
            continue
        ref = _SLOT_REF.search(word)
        if ref is None:
            literals = {word.rstrip("*")}
        elif ref.start() > 0:
            literals = {word[: ref.start()]}
        else:
            literals = {alt.split()[0].rstrip("*") if alt.split() else "" for alt in slots[ref.group(1)]}
        if all(literals) and not literals & {"*", "~"}:
            required.append(frozenset(literals))
    return tuple(required)


def compile_terms(data: dict) -> list[tuple[list[tuple[str, bool]], Term]]:
    """The terms of one lexicon file (`allow` phrases as category "allow"), with their index keys."""
    slots = {name: [lexicon_form(alt) for alt in alts] for name, alts in data.get("slots", {}).items()}
    entries = [(ALLOW, phrase, 1.0) for phrase in data.get("allow", [])]
    entries += [
        (category, phrase, weight) for category, terms in data["terms"].items() for phrase, weight in terms.items()
    ]
    compiled = []
    for category, phrase, weight in entries:
        phrase = lexicon_form(phrase)
        tail = "" if phrase.endswith("*") else r"(?!\w)"
        pattern = re.compile(r"(?<!\w)" + _sequence(phrase.split(), slots) + tail)
        term = Term(data["locale"], category, phrase, weight, pattern, _required_strings(phrase, slots))
        compiled.append((_index_keys(phrase, slots), term))
    return compiled


def load_lexicon(locale: str) -> dict:
    return json.loads((LEXICON_DIR / f"{locale}.json").read_text(encoding="utf-8"))


class TermIndex:
    """Terms of one or more lexicons, found in a text by the words they start with."""

    def __init__(self, lexicons: Iterable[dict]) -> None:
        self._exact: dict[str, list[Term]] = defaultdict(list)
        self._prefix: dict[str, list[Term]] = defaultdict(list)
        for data in lexicons:
            for keys, term in compile_terms(data):
                for key, is_prefix in keys:
                    (self._prefix if is_prefix else self._exact)[key].append(term)
        self._exact, self._prefix = dict(self._exact), dict(self._prefix)
        self._longest_key = max(map(len, [*self._exact, *self._prefix]), default=0)
        self._cache: dict[str, tuple[Term, ...]] = {}

    def _lookup(self, word: str) -> tuple[Term, ...]:
        """Terms that may start at a word: exactly it, a prefix of it, or either after a proclitic."""
        stems = [word]
        if is_arabic_script(word[:1]):
            stems += [word[len(p) :] for p in _PROCLITICS if word.startswith(p) and len(word) > len(p) + 1]
        found: dict[int, Term] = {}
        for stem in stems:
            for length in range(1, min(len(stem), self._longest_key) + 1):
                key = stem[:length]
                for term in self._prefix.get(key, ()):
                    found[id(term)] = term
                if is_arabic_script(key[:1]) or length == len(stem):
                    for term in self._exact.get(key, ()):
                        found[id(term)] = term
        return tuple(found.values())

    def candidates(self, word: str) -> tuple[Term, ...]:
        cached = self._cache.get(word)
        if cached is None:
            # no key is longer than `_longest_key`: the rest of a longer word cannot change the candidates
            head = word[: self._longest_key + 1]
            cached = self._cache.get(head)
            if cached is None:
                cached = self._lookup(head)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[word] = self._cache[head] = cached
        return cached

    def find(self, text: str, windows: Iterable[tuple[int, int]] | None = None) -> list[Match]:
        """Every term match, `allow` idioms included; `text` must be normalised like the terms. With
        `windows`, only terms starting inside one of those (start, end) ranges are looked for."""
        matches = []
        present: dict[frozenset[str], bool] = {}  # per text: does it contain one of these strings?
        for start, end in ((0, len(text)),) if windows is None else windows:
            # Most words start no term: they are looked up and passed over without a Python-level
            # step per word (map and compress), which is most of the time on a long text.
            words = list(_WORD.finditer(text, start, end))
            cached = list(map(self._cache.get, map(_GROUP, words)))
            terms_of: list[tuple[Term, ...]] = (
                [
                    self.candidates(word.group()) if terms is None else terms
                    for word, terms in zip(words, cached, strict=True)
                ]
                if None in cached
                else cast("list[tuple[Term, ...]]", cached)
            )
            for word, terms in itertools.compress(zip(words, terms_of, strict=True), terms_of):
                at = word.start()
                for term in terms:
                    if term.requires and not _contains_required(text, term.requires, present):
                        continue
                    match = term.pattern.match(text, at)
                    if match is not None:
                        matches.append(Match(term, match.start(), match.end()))
        return matches


def _contains_required(text: str, requires: tuple[frozenset[str], ...], present: dict[frozenset[str], bool]) -> bool:
    for strings in requires:
        known = present.get(strings)
        if known is None:
            known = present[strings] = any(string in text for string in strings)
        if not known:
            return False
    return True


def without_allowed(matches: list[Match]) -> list[Match]:
    """Matches that overlap no `allow` idiom ("kill the lights" is not a threat)."""
    allowed = [(match.start, match.end) for match in matches if match.term.category == ALLOW]
    return [
        match
        for match in matches
        if match.term.category != ALLOW and not any(match.start < end and start < match.end for start, end in allowed)
    ]
