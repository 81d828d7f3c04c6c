"""The labelled moderation set and the floors the local moderators hold on it.

Measured (bench.guardrails, lexicons + PII):
- all 341 texts: precision 1.000 in every category; recall harm_high 0.946, hate 0.975, sexual 0.972,
  dangerous 1.000, pii_exposed 1.000; no benign text flagged.
- holdout2 (50 texts never used for tuning): precision 1.000, recall 0.828 overall (harm_high 0.667).
The floors sit just under those figures, so a lexicon change that loses quality fails here.
"""

from __future__ import annotations

from collections import Counter

import pytest

from guardrails import text_moderators
from guardrails.evaluation import Together, benign_flags, caught, corpus_records, moderation_scores, read_jsonl
from guardrails.moderation import CATEGORIES, LexiconModerator, PiiModerator
from guardrails.moderation_corpus import LABELS, heldout_examples
from tests.guardrails.evalsets.build import MODERATION_EVAL, build_moderation_records, dumps

ALL_RECALL_FLOORS = {"harm_high": 0.94, "hate": 0.97, "sexual": 0.97, "dangerous": 0.98, "pii_exposed": 1.0}


LEXICONS_AND_PII = Together("lexicons + PII", [LexiconModerator(), PiiModerator()])


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return read_jsonl(MODERATION_EVAL)


def test_file_is_the_output_of_the_builder(records):
    assert MODERATION_EVAL.read_text(encoding="utf-8") == dumps(build_moderation_records()), (
        "data/moderation_eval.jsonl is stale: run python -m tests.guardrails.evalsets.build"
    )


def test_set_is_large_multilingual_and_covers_every_category(records):
    assert len(records) >= 200
    assert {"en", "ar", "fa", "ps", "fr"} <= {record["lang"] for record in records}
    labels = Counter(label for record in records for label in record["labels"])
    assert set(labels) == set(CATEGORIES)
    assert all(labels[category] >= 9 for category in CATEGORIES)
    assert sum(1 for record in records if not record["labels"]) >= 100  # benign, most of them hotel idioms


def test_every_category_holds_its_measured_floor(records):
    scores, misses = moderation_scores(records, LEXICONS_AND_PII)
    for category, floor in ALL_RECALL_FLOORS.items():
        assert scores[category].precision >= 0.97, (category, [m for m in misses if m.label == category])
        assert scores[category].recall >= floor, (category, [m for m in misses if m.label == category])
    assert scores["overall"].recall >= 0.97


def test_benign_hotel_messages_are_not_flagged(records):
    benign = [record for record in records if not record["labels"]]
    moderator = LEXICONS_AND_PII
    flagged = [
        record["text"] for record in benign if moderator.moderate(record["text"], locale=record["lang"]).flagged()
    ]
    assert flagged == []


def test_blind_holdout_keeps_precision_and_most_of_the_recall(records):
    holdout = [record for record in records if record["split"] == "holdout2"]
    scores, misses = moderation_scores(holdout, LEXICONS_AND_PII)
    assert len(holdout) >= 50
    assert scores["overall"].precision >= 0.95, misses
    assert scores["overall"].recall >= 0.80, misses


def test_with_the_classifier_the_set_keeps_its_precision_and_gains_recall(records):
    """Measured with the twelfth-round model: precision 0.955, recall 0.990; 9 false flags (4 hate,
    3 sexual, 2 dangerous; none harm_high, so none would block an input). The classifier never saw
    this set, but the tenth round's benign lines were briefed with classes of false flag that
    included three of its benign texts (docs/benchmarks.md)."""
    scores, misses = moderation_scores(records, Together("local", [*text_moderators(), PiiModerator()]))
    assert scores["overall"].precision >= 0.95, misses
    assert scores["overall"].recall >= 0.98, misses


def test_corpus_heldout_split_holds_its_blind_score():
    """The twelfth held-out split was scored once, blind (docs/benchmarks.md): flagged, harmful
    recall 0.87, harm_high 0.72, hate 0.94, sexual 0.86, dangerous 0.97; 2 of 128 benign texts
    flagged, none blocked. Counting the classifier's review band, 0.96 (247 of 256): harm_high 0.92,
    hate 0.98, sexual 0.97, dangerous 0.98; 8 benign texts in review. These floors keep a change
    from losing what was measured."""
    records = corpus_records(heldout_examples())
    local = Together("lexicons + classifier", text_moderators())
    verdicts = [(record, local.moderate(record["text"], locale=record["lang"])) for record in records]
    flagged_floors = {"harm_high": 0.71, "hate": 0.93, "sexual": 0.85, "dangerous": 0.96}
    review_floors = {"harm_high": 0.92, "hate": 0.98, "sexual": 0.96, "dangerous": 0.98}
    recalls = {}
    for label in LABELS:
        positives = [verdict for record, verdict in verdicts if label in record["labels"]]
        flagged = sum(label in verdict.flagged() for verdict in positives) / len(positives)
        either = sum(label in verdict.flagged() or label in verdict.in_review() for verdict in positives)
        recalls[label] = (flagged, either / len(positives))
    assert {label: recalls[label][0] >= flagged_floors[label] for label in LABELS} == dict.fromkeys(LABELS, True), (
        recalls
    )
    assert {label: recalls[label][1] >= review_floors[label] for label in LABELS} == dict.fromkeys(LABELS, True), (
        recalls
    )
    harmful = [(record, verdict) for record, verdict in verdicts if record["labels"]]
    assert sum(caught(record, verdict, with_review=True) for record, verdict in harmful) >= 247
    benign = benign_flags(records, local)
    # a text no longer flagged may fall in the band: what a human sees is flagged plus reviewed
    assert benign.blocked == 0 and benign.flagged <= 2 and benign.flagged + benign.reviewed <= 10, benign
