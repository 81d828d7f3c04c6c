"""Cutting a parsed document into chunks sized in model tokens.

A chunk never crosses a section (heading) boundary, is made of whole sentences where a sentence
fits, and of whole words where one does not: nothing is ever cut inside a word. Consecutive
chunks of a section overlap by whole sentences (up to `overlap_tokens`), or by the last
sentence's trailing whole words when that sentence alone is longer. Sentence ends are
recognised for every language we serve (en, fr, de, tr: . ! ? …; ar, fa, ps: ؟ and the full
stop; ur: ۔), and every line break ends a unit (lists, table rows).

Tokens are counted with the embedding model's own tokenizer when the caller passes one (MiniLM's
WordPiece), else estimated (`estimate_tokens`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.parsing import Section

TokenCounter = Callable[[Sequence[str]], list[int]]

_SENTENCE_END = re.compile(r"(?<=[.!?…؟۔。！？])[\"'”’»)\]]*[ \t\u00a0]+|\n+")
_WORD = re.compile(r"\S+")
_PIECE = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def estimate_tokens(texts: Sequence[str]) -> list[int]:
    """A WordPiece-like estimate: each word and each punctuation mark, long words counted per
    6 characters (sub-word pieces). Used when the model's tokenizer is not at hand."""
    return [sum(max(1, -(-len(piece) // 6)) for piece in _PIECE.findall(text)) for text in texts]


@dataclass(frozen=True)
class ChunkSpan:
    start: int
    end: int
    text: str
    tokens: int
    heading: str


def _units(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence (or line) spans inside [start, end), stripped of surrounding whitespace."""
    spans, cursor = [], start
    for match in _SENTENCE_END.finditer(text, start, end):
        spans.append((cursor, match.start()))
        cursor = match.end()
    spans.append((cursor, end))
    out = []
    for left, right in spans:
        while left < right and text[left].isspace():
            left += 1
        while right > left and text[right - 1].isspace():
            right -= 1
        if right > left:
            out.append((left, right))
    return out


def _split_long(
    text: str, span: tuple[int, int], tokens: int, max_tokens: int, count: TokenCounter
) -> list[tuple[int, int, int]]:
    """A unit longer than a chunk, cut between words into pieces of at most `max_tokens`
    (a single word longer than that stays whole)."""
    words = [(match.start(), match.end()) for match in _WORD.finditer(text, span[0], span[1])]
    counts = count([text[left:right] for left, right in words])
    pieces, piece_start, piece_tokens, last_end = [], None, 0, None
    for (left, right), word_tokens in zip(words, counts, strict=True):
        if piece_start is not None and piece_tokens + word_tokens > max_tokens:
            pieces.append((piece_start, last_end, piece_tokens))
            piece_start, piece_tokens = None, 0
        if piece_start is None:
            piece_start = left
        piece_tokens += word_tokens
        last_end = right
    if piece_start is not None:
        pieces.append((piece_start, last_end, piece_tokens))
    return pieces


def chunk_text(
    text: str,
    sections: Sequence[Section],
    *,
    max_tokens: int,
    overlap_tokens: int,
    count: TokenCounter = estimate_tokens,
) -> list[ChunkSpan]:
    if max_tokens < 8 or not 0 <= overlap_tokens < max_tokens:
        raise ValueError("max_tokens must be >= 8 and overlap_tokens in [0, max_tokens)")
    chunks: list[ChunkSpan] = []
    for section in sections:
        units = _units(text, section.start, section.end)
        if not units:
            continue
        counts = count([text[left:right] for left, right in units])
        atoms: list[tuple[int, int, int]] = []
        for span, tokens in zip(units, counts, strict=True):
            atoms.extend(
                _split_long(text, span, tokens, max_tokens, count)
                if tokens > max_tokens
                else [(span[0], span[1], tokens)]
            )
        window: list[tuple[int, int, int]] = []
        fresh = False  # has the window an atom the previous chunk did not have?
        for atom in atoms:
            if window and sum(tokens for *_span, tokens in window) + atom[2] > max_tokens:
                chunks.append(_chunk(text, window, section.heading))
                window = _overlap(text, window, overlap_tokens, room=max_tokens - atom[2], count=count)
            window.append(atom)
            fresh = True
        if window and fresh:
            chunks.append(_chunk(text, window, section.heading))
    return chunks


def _overlap(
    text: str, window: list[tuple[int, int, int]], overlap_tokens: int, *, room: int, count: TokenCounter
) -> list[tuple[int, int, int]]:
    """The trailing whole sentences of `window` worth at most `overlap_tokens` (leaving room for
    the next atom); when even the last sentence is longer, its trailing whole words."""
    budget = min(overlap_tokens, room)
    kept, total = [], 0
    for atom in reversed(window):
        if total + atom[2] > budget:
            break
        kept.insert(0, atom)
        total += atom[2]
    if kept or budget <= 0 or not window:
        return kept
    last = window[-1]
    words = [(match.start(), match.end()) for match in _WORD.finditer(text, last[0], last[1])]
    counts = count([text[left:right] for left, right in words])
    start, tokens = None, 0
    for (left, _right), word_tokens in zip(reversed(words), reversed(counts), strict=True):
        if tokens + word_tokens > budget:
            break
        start, tokens = left, tokens + word_tokens
    return [(start, last[1], tokens)] if start is not None and start > last[0] else []


def _chunk(text: str, window: list[tuple[int, int, int]], heading: str) -> ChunkSpan:
    start, end = window[0][0], window[-1][1]
    return ChunkSpan(
        start=start, end=end, text=text[start:end], heading=heading, tokens=sum(tokens for *_span, tokens in window)
    )


# --- language ---------------------------------------------------------------------------------

_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN_WORD = re.compile(r"[a-zà-ÿğışçöüâêîôûœæß]+", re.IGNORECASE)
_MARKERS = {  # letters a language of the Arabic script has and its neighbours lack
    "ps": "ټډړږښځڅېۍ",
    "ur": "ٹڈڑےںھ",
    "fa": "پچژگکی",
}
_STOPWORDS = {
    "en": {"the", "and", "is", "are", "of", "to", "in", "for", "with", "you", "at", "on", "be", "please"},
    "fr": {"le", "la", "les", "des", "est", "et", "pour", "une", "du", "vous", "dans", "au", "sont", "avec"},
    "de": {"der", "die", "das", "und", "ist", "nicht", "mit", "für", "sie", "ein", "eine", "im", "zu", "auf"},
    "tr": {"ve", "bir", "bu", "için", "ile", "da", "de", "olan", "lütfen", "saat", "misafir", "odalar", "en"},
}


def detect_language(text: str, default: str = "en") -> str:
    """The language of a passage among the ones we serve, by script and frequent words: good
    enough to pick the full-text configuration and to label a citation; `default` when unsure."""
    sample = text[:4000]
    arabic = len(_ARABIC_SCRIPT.findall(sample))
    latin_words = [word.lower() for word in _LATIN_WORD.findall(sample)]
    if arabic and arabic >= sum(len(word) for word in latin_words):
        for language in ("ps", "ur", "fa"):
            if any(letter in sample for letter in _MARKERS[language]):
                return language
        return "ar"
    if not latin_words:
        return default
    scores = {language: sum(word in words for word in latin_words) for language, words in _STOPWORDS.items()}
    if any(letter in sample for letter in "ğışİ"):
        scores["tr"] += 3
    best = max(scores, key=scores.get)
    return best if scores[best] > 0 else default


# PostgreSQL's text search configurations (Snowball stemmers) for our languages; the others
# (Persian, Pashto, Urdu) have none and are indexed as words ('simple').
TS_CONFIGS = {"en": "english", "fr": "french", "de": "german", "tr": "turkish", "ar": "arabic"}


def ts_config(language: str) -> str:
    return TS_CONFIGS.get((language or "").split("-")[0].lower(), "simple")
