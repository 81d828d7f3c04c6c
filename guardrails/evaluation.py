"""Precision and recall of the guardrails on labelled sets, shared by the tests and bench.guardrails.

PII spans count as found only when type, start and end all match exactly (a placeholder that
leaves a digit behind has not redacted the number). Moderation is scored per category on the
flagged/not-flagged decision.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from guardrails.moderation import CATEGORIES, ModerationVerdict, Moderator, combine
from guardrails.moderation_corpus import Example
from guardrails.pii import PII_TYPES, find_spans


@dataclass(frozen=True)
class Score:
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0

    @property
    def support(self) -> int:
        return self.true_positives + self.false_negatives


@dataclass(frozen=True)
class Miss:
    record_id: str
    kind: str  # "missed" or "spurious"
    label: str
    fragment: str


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _scores(tp: Counter, fp: Counter, fn: Counter, labels: Iterable[str]) -> dict[str, Score]:
    scores = {label: Score(tp[label], fp[label], fn[label]) for label in labels}
    scores["overall"] = Score(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    return scores


def pii_scores(records: list[dict]) -> tuple[dict[str, Score], list[Miss]]:
    tp, fp, fn = Counter(), Counter(), Counter()
    misses = []
    for record in records:
        text = record["text"]
        gold = {(span["start"], span["end"], span["type"]) for span in record["spans"]}
        found = {(span.start, span.end, span.type) for span in find_spans(text, country=record.get("country"))}
        for _start, _end, label in gold & found:
            tp[label] += 1
        for start, end, label in gold - found:
            fn[label] += 1
            misses.append(Miss(record["id"], "missed", label, text[start:end]))
        for start, end, label in found - gold:
            fp[label] += 1
            misses.append(Miss(record["id"], "spurious", label, text[start:end]))
    return _scores(tp, fp, fn, PII_TYPES), misses


def moderation_scores(records: list[dict], moderator: Moderator) -> tuple[dict[str, Score], list[Miss]]:
    tp, fp, fn = Counter(), Counter(), Counter()
    misses = []
    for record in records:
        verdict = moderator.moderate(record["text"], locale=record["lang"])
        flagged = {name for name, score in verdict.categories.items() if score.flagged}
        expected = set(record["labels"])
        for label in CATEGORIES:
            if label in expected and label in flagged:
                tp[label] += 1
            elif label in expected:
                fn[label] += 1
                misses.append(Miss(record["id"], "missed", label, record["text"]))
            elif label in flagged:
                fp[label] += 1
                misses.append(Miss(record["id"], "spurious", label, record["text"]))
    return _scores(tp, fp, fn, CATEGORIES), misses


class Together:
    """Several moderators scored as one (`moderation.combine`), for comparing set-ups."""

    def __init__(self, name: str, moderators: Iterable[Moderator]) -> None:
        self.name = name
        self.moderators = list(moderators)

    def moderate(self, text: str, *, locale: str) -> ModerationVerdict:
        return combine([moderator.moderate(text, locale=locale) for moderator in self.moderators])


def corpus_records(examples: Iterable[Example]) -> list[dict]:
    """Corpus examples as the records `moderation_scores` reads."""
    return [
        {"id": example.source, "lang": example.lang, "labels": list(example.labels), "text": example.text}
        for example in examples
    ]


@dataclass(frozen=True)
class BenignFlags:
    texts: int
    flagged: int  # any category: an output would be withheld
    blocked: int  # harm_high: an input would be refused
    reviewed: int = 0  # flagged nowhere, some category in a review band: a human would look

    @property
    def reviewed_rate(self) -> float:
        return self.reviewed / self.texts if self.texts else 0.0

    @property
    def flagged_rate(self) -> float:
        return self.flagged / self.texts if self.texts else 0.0

    @property
    def blocked_rate(self) -> float:
        return self.blocked / self.texts if self.texts else 0.0


def benign_flags(records: list[dict], moderator: Moderator) -> BenignFlags:
    flagged = blocked = reviewed = texts = 0
    for record in records:
        if record["labels"]:
            continue
        texts += 1
        verdict = moderator.moderate(record["text"], locale=record["lang"])
        flagged += bool(verdict.flagged())
        reviewed += not verdict.flagged() and bool(verdict.in_review())
        blocked += verdict.categories.get("harm_high") is not None and verdict.categories["harm_high"].flagged
    return BenignFlags(texts, flagged, blocked, reviewed)


def caught(record: dict, verdict: ModerationVerdict, *, with_review: bool = False) -> bool:
    """Whether `verdict` flagged one of the record's labels (or, `with_review`, put one in review)."""
    found = set(verdict.flagged()) | (set(verdict.in_review()) if with_review else set())
    return bool(found & set(record["labels"]))
