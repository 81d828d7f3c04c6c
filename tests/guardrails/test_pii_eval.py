"""The labelled PII set: well formed, reproducible, large and varied enough, and the redactor meets
the quality targets on it (recall >= 0.99, precision >= 0.95 overall; exact span and type)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import pytest
from stdnum import iban, luhn
from stdnum.iso7064 import mod_97_10

from guardrails.evaluation import pii_scores, read_jsonl
from guardrails.pii import PII_TYPES
from tests.guardrails.evalsets.build import PII_EVAL, build_pii_records, dumps


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return read_jsonl(PII_EVAL)


def test_file_is_the_output_of_the_builder(records):
    assert PII_EVAL.read_text(encoding="utf-8") == dumps(build_pii_records()), (
        "data/pii_eval.jsonl is stale: run python -m tests.guardrails.evalsets.build"
    )


def test_spans_are_exact_in_range_ordered_and_typed(records):
    for record in records:
        text, previous_end = record["text"], 0
        for span in record["spans"]:
            assert span["type"] in PII_TYPES
            assert previous_end <= span["start"] < span["end"] <= len(text), record["id"]
            value = text[span["start"] : span["end"]]
            assert value == value.strip(" .,;:()") and value, (record["id"], value)
            spelt = re.search(r"(?i)[\[({<]at[\])}>]| at | arobase ", value)
            assert any(char.isdigit() for char in value) or "@" in _plain(value) or spelt, (record["id"], value)
            previous_end = span["end"]


def _plain(value: str) -> str:
    """The value as ASCII digits and forms, without invisible characters (written independently of the
    redactor's own normaliser, so the labels are checked by other code than the one they score)."""
    value = "".join(char for char in value if unicodedata.category(char) != "Cf")
    value = unicodedata.normalize("NFKC", value)
    return "".join(
        str(unicodedata.decimal(char)) if unicodedata.decimal(char, None) is not None else char for char in value
    )


def test_labelled_values_pass_their_checksums(records):
    for record in records:
        for span in record["spans"]:
            value = _plain(record["text"][span["start"] : span["end"]])
            if span["type"] == "CARD":
                assert luhn.is_valid("".join(filter(str.isdigit, value))), value
            if span["type"] == "IBAN" and value.upper().startswith("IR"):  # Sheba: not in stdnum's registry
                compact = re.sub(r"\W", "", value)
                assert len(compact) == 26 and mod_97_10.is_valid(compact[4:] + compact[:4]), value
            elif span["type"] == "IBAN":
                assert iban.is_valid(value), value


def test_set_is_large_varied_and_has_hard_negatives(records):
    spans = [span for record in records for span in record["spans"]]
    assert len(records) >= 150 and len(spans) >= 300
    assert set(Counter(span["type"] for span in spans)) == set(PII_TYPES)
    languages = Counter(record["lang"] for record in records)
    assert {"en", "ar", "fa", "ps", "ur", "fr", "de", "tr"} <= set(languages)
    assert sum(1 for record in records if not record["spans"]) >= 20  # texts that are all hard negatives
    assert {record["split"] for record in records} == {"dev", "holdout", "holdout2"}


def test_redaction_meets_the_recall_and_precision_targets(records):
    scores, misses = pii_scores(records)
    overall = scores["overall"]
    assert overall.recall >= 0.99, misses
    assert overall.precision >= 0.95, misses
    for label in PII_TYPES:
        assert scores[label].support > 0
        assert scores[label].recall >= 0.95 and scores[label].precision >= 0.95, (label, scores[label], misses)
