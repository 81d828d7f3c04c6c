"""The local multilingual moderation classifier: character n-grams and words, TF-IDF, one logistic
regression per category, trained on corpus/train (classifier_training.py) and shipped as
models/moderation-ngram-v1.bin. It runs offline in this process with numpy only.

Why n-grams and not the shipped MiniLM: all-MiniLM-L6-v2 was trained on English and costs several
milliseconds a call on CPU; character n-grams read every script we serve (Arabic, Persian, Pashto
and Urdu words with their proclitics and suffixes, Turkish and German compounds), cost about a
tenth of a millisecond for 500 characters, and need no tokenizer. Why not ONNX: skl2onnx converts
character n-gram vectorisers only experimentally (measured: probabilities off by up to 0.0014 from
scikit-learn's), while the same Python featuriser serves training, scoring and serving here, so
what docs/benchmarks.md reports is exactly what runs.

A text is scored sentence by sentence (the corpus is made of sentences, and one threat in a long
polite message must not be diluted by it) and by pairs of neighbouring sentences (a goodbye and
"the pills are on the nightstand" are harmless apart), and each category takes its highest score.
Scores are calibrated so that 0.5 is the operating point chosen in training (precision first, by
cross-validation on the training corpus), so tenants' per-category thresholds mean the same as for
the lexicons. Training also chooses where each category's review band starts (`review_score` in the
model's metadata): scores from there to the threshold put the category in review (moderation.py).
"""

from __future__ import annotations

import functools
import gzip
import itertools
import json
import re
import struct
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from guardrails.moderation import ModerationVerdict, resolve_thresholds, verdict_from_scores
from guardrails.normalize import for_matching

MODEL_PATH = Path(__file__).with_name("models") / "moderation-ngram-v1.bin"
MODEL_NAME = "moderation-ngram-v1"
CHAR_NGRAMS = (2, 3, 4, 5)
# A word has a letter: numbers (room numbers, prices, times) say nothing about harm, and a model that
# learnt "100 dollars" from a solicitation must not flag "room 100".
_WORD = re.compile(r"\w*[^\W\d_]\w*")
_WORD_MARK = "\x01"  # word features cannot collide with character n-grams (which never hold it)
_SENTENCE_END = re.compile(r"(?<=[.!?؟۔।])\s+|\n+")
_MAX_SENTENCE = 300  # longer stretches are scored in windows of this many characters
MIN_WORDS = 3
# Rows are L2-normalised, but never by less than this norm (that of a sentence of about six words):
# a short sentence keeps its few features small instead of having each blown up to a large share,
# which is what made "which room is right for me?" read like a solicitation.
NORM_FLOOR = 60.0
_MAGIC = b"MLMNGRAM1\n"
_WORD_CACHE_LIMIT = 100_000  # distinct words remembered per process (a few MB at most)


_COLUMN = np.dtype(np.int64)


def _packed(columns: list[int]) -> bytes:
    return np.array(columns, dtype=_COLUMN).tobytes()


def features(normalized: str) -> Counter[str]:
    """The features of one sentence already passed through `normalize.for_matching`: the character
    n-grams of each word padded with spaces, the words and the pairs of neighbouring words. This is
    the definition training counts; `NgramModel.columns` computes the same faster when serving."""
    counts: Counter[str] = Counter()
    words = _WORD.findall(normalized)
    for word in words:
        counts.update(_word_ngrams(word))
    counts.update(_WORD_MARK + word for word in words)
    counts.update(f"{_WORD_MARK}{first}{_WORD_MARK}{second}" for first, second in itertools.pairwise(words))
    return counts


def sentences(text: str) -> list[str]:
    """`text` normalised and cut into the pieces the classifier judges: sentences (long ones in
    windows), a sentence of fewer than `MIN_WORDS` words joined to the next one (the fields of a
    payload arrive one per line: a locale code or a name alone says nothing), and a text that has
    fewer than `MIN_WORDS` words in all gives nothing to judge (the lexicons still read it)."""
    return sentences_of_matching(for_matching(text))


def sentences_of_matching(matching: str) -> list[str]:
    """`sentences` of a text already passed through `for_matching`."""
    return [piece for piece, _words in _pieces(matching)]


def _pieces(matching: str) -> list[tuple[str, list[str]]]:
    """The pieces of `sentences_of_matching` with their words (counted once, for the `MIN_WORDS`
    rule and for the features)."""
    pieces: list[tuple[str, list[str]]] = []
    pending = ""
    for sentence in _SENTENCE_END.split(matching):
        sentence = f"{pending} {sentence}".strip() if pending else sentence.strip()
        pending = ""
        while len(sentence) > _MAX_SENTENCE:
            cut = sentence.rfind(" ", 0, _MAX_SENTENCE)
            cut = cut if cut > _MAX_SENTENCE // 2 else _MAX_SENTENCE
            pieces.append((sentence[:cut], _WORD.findall(sentence[:cut])))
            sentence = sentence[cut:].strip()
        words = _WORD.findall(sentence)
        if len(words) < MIN_WORDS:
            pending = sentence
        elif sentence:
            pieces.append((sentence, words))
    if pending and pieces:
        joined = f"{pieces[-1][0]} {pending}"
        pieces[-1] = (joined, _WORD.findall(joined))
    return pieces


def _word_ngrams(word: str) -> list[str]:
    padded = f" {word} "
    return [padded[i : i + size] for size in CHAR_NGRAMS for i in range(len(padded) - size + 1)]


@dataclass(frozen=True)
class NgramModel:
    """Vocabulary, inverse document frequencies, one weight column and bias per category."""

    labels: tuple[str, ...]
    index: dict[str, int]
    idf: np.ndarray  # (features,) float32
    weights: np.ndarray  # (features, labels) float32
    bias: np.ndarray  # (labels,) float32
    metadata: dict
    _word_cache: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    def _word_columns(self, word: str) -> bytes:
        """The known features a word contributes by itself (its n-grams and the word), as packed
        int64 columns (rows are joined as bytes, so no Python int is converted per call), cached."""
        cached = self._word_cache.get(word)
        if cached is None:
            get = self.index.get
            found = [get(gram) for gram in _word_ngrams(word)]
            found.append(get(_WORD_MARK + word))
            cached = _packed([column for column in found if column is not None])
            if len(self._word_cache) < _WORD_CACHE_LIMIT:
                self._word_cache[word] = cached
        return cached

    def columns(self, sentence: str) -> list[int]:
        """The known features of one normalised sentence, with repeats: the same multiset as
        `features(sentence)` restricted to the vocabulary (what training counted), built from cached
        per-word features."""
        return np.frombuffer(self._row(_WORD.findall(sentence)), dtype=_COLUMN).tolist()

    def _row(self, words: list[str]) -> bytes:
        return b"".join([*map(self._word_columns, words), self._pair_columns(words)])

    def _pair_columns(self, words: list[str]) -> bytes:
        get = self.index.get
        pairs = (get(f"{_WORD_MARK}{first}{_WORD_MARK}{second}") for first, second in itertools.pairwise(words))
        return _packed([column for column in pairs if column is not None])

    def sentence_scores(self, texts: list[str]) -> np.ndarray:
        """(sentences, labels) scores of normalised sentences, computed together."""
        return self._row_scores([self._row(_WORD.findall(text)) for text in texts])

    def _row_scores(self, rows: list[bytes]) -> np.ndarray:
        """(rows, labels) scores of rows of packed feature columns: TF-IDF (1 + log count, divided
        by the larger of the row's L2 norm and `NORM_FLOOR`) times the weights, plus the bias,
        through the logistic. A (row, column) pair is one int64 key, row above the column's bits,
        so one sort counts every row's repeats."""
        bits = len(self.index).bit_length()
        lengths = [len(row) // _COLUMN.itemsize for row in rows]
        logits = np.tile(self.bias, (len(rows), 1))
        if sum(lengths):
            columns = np.frombuffer(b"".join(rows), dtype=_COLUMN)
            keys = (np.repeat(np.arange(len(rows), dtype=np.int64), lengths) << bits) | columns
            unique, counts = np.unique(keys, return_counts=True)
            rows_of, columns_of = unique >> bits, unique & ((1 << bits) - 1)
            values = (1.0 + np.log(counts.astype(np.float32))) * np.take(self.idf, columns_of)
            norms = np.sqrt(np.bincount(rows_of, weights=values * values, minlength=len(rows))).astype(np.float32)
            values /= np.maximum(norms, NORM_FLOOR)[rows_of]
            starts = np.concatenate(([0], np.flatnonzero(rows_of[1:] != rows_of[:-1]) + 1))
            weighted = values[:, None] * np.take(self.weights, columns_of, axis=0)
            logits[rows_of[starts]] += np.add.reduceat(weighted, starts, axis=0)
        return 1.0 / (1.0 + np.exp(-logits))

    def scores(self, text: str) -> dict[str, float]:
        return self.scores_of_matching(for_matching(text))

    def review_scores(self) -> dict[str, float]:
        """Where each category's review band starts, as training chose it (a model built before the
        band has none)."""
        points = self.metadata.get("operating_points", {})
        return {
            label: points[label]["review_score"] for label in self.labels if "review_score" in points.get(label, {})
        }

    def scores_of_matching(self, matching: str) -> dict[str, float]:
        """Each category's highest score in `text` over its sentences and pairs of neighbouring
        sentences (0 for a text without words). A pair's features are its two sentences' plus the
        word pair across the boundary: exactly `columns` of the two joined by a space."""
        pieces = [words for _piece, words in _pieces(matching)]
        if not pieces:
            return dict.fromkeys(self.labels, 0.0)
        rows = [self._row(words) for words in pieces]
        rows += [
            left + right + self._pair_columns(first[-1:] + second[:1])
            for (first, second), (left, right) in zip(itertools.pairwise(pieces), itertools.pairwise(rows), strict=True)
        ]
        best = self._row_scores(rows).max(axis=0)
        return {label: float(best[i]) for i, label in enumerate(self.labels)}


def dumps(model: NgramModel) -> bytes:
    """The model file: deterministic bytes (gzip without a timestamp) for the same model."""
    header = json.dumps(
        {"labels": list(model.labels), "features": len(model.index), "metadata": model.metadata},
        ensure_ascii=False,
        sort_keys=True,
    ).encode("utf-8")
    vocabulary = "\n".join(sorted(model.index, key=model.index.__getitem__)).encode("utf-8")
    body = b"".join(
        [
            _MAGIC,
            struct.pack("<II", len(header), len(vocabulary)),
            header,
            vocabulary,
            model.idf.astype("<f4").tobytes(),
            model.weights.astype("<f4").tobytes(),
            model.bias.astype("<f4").tobytes(),
        ]
    )
    return gzip.compress(body, compresslevel=9, mtime=0)


def loads(data: bytes) -> NgramModel:
    body = gzip.decompress(data)
    if not body.startswith(_MAGIC):
        raise ValueError("not a melmastoon n-gram moderation model")
    offset = len(_MAGIC)
    header_length, vocabulary_length = struct.unpack_from("<II", body, offset)
    offset += 8
    header = json.loads(body[offset : offset + header_length])
    offset += header_length
    vocabulary = body[offset : offset + vocabulary_length].decode("utf-8").split("\n")
    offset += vocabulary_length
    size, labels = header["features"], tuple(header["labels"])
    arrays = np.frombuffer(body, dtype="<f4", offset=offset)
    idf = arrays[:size].astype(np.float32)
    weights = arrays[size : size + size * len(labels)].reshape(size, len(labels)).astype(np.float32)
    bias = arrays[size + size * len(labels) :].astype(np.float32)
    if len(vocabulary) != size or bias.shape != (len(labels),):
        raise ValueError("the moderation model file is truncated or inconsistent")
    return NgramModel(
        labels, {feature: i for i, feature in enumerate(vocabulary)}, idf, weights, bias, header["metadata"]
    )


@functools.cache
def shipped_model() -> NgramModel:
    """The committed model, read once per process."""
    return loads(MODEL_PATH.read_bytes())


class ClassifierModerator:
    """The classifier as a `Moderator`, next to the lexicons: the categories it was trained on."""

    name = "classifier"

    def __init__(
        self, *, thresholds: Mapping[str, float] | None = None, model: NgramModel | None = None, review: bool = True
    ) -> None:
        self.thresholds = resolve_thresholds(thresholds)
        self.model = model or shipped_model()
        self.review_thresholds = self.model.review_scores() if review else {}

    def moderate(self, text: str, *, locale: str) -> ModerationVerdict:
        return self.moderate_matching(for_matching(text), locale=locale)

    def moderate_matching(self, matching: str, *, locale: str) -> ModerationVerdict:
        """`moderate` of a text already passed through `normalize.for_matching`."""
        verdict = verdict_from_scores(
            self.model.scores_of_matching(matching),
            thresholds=self.thresholds,
            moderator=self.name,
            review_thresholds=self.review_thresholds,
        )
        reasons = [f"{label}:classifier" for label in verdict.flagged()]
        reasons += [f"{label}:classifier:review" for label in verdict.in_review()]
        return replace(verdict, reasons=tuple(reasons))
