"""The streamed field's text read from partial JSON, and the sentence gate in front of the caller."""

from __future__ import annotations

import json

import pytest

from capabilities.stream_text import FieldText, SentenceBlocked, SentenceGate


def fed_in_pieces(field: str, document: dict, size: int) -> str:
    text = json.dumps(document)
    reader = FieldText(field)
    return "".join(reader.feed(text[start : start + size]) for start in range(0, len(text), size))


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64])
def test_the_field_text_is_whole_however_the_json_is_cut(size):
    document = {
        "subject": 'Hi "there"',
        "body": "Line one.\nTab\there \\ slash / é and 😀 — done.",
        "notes": [{"body": "not this one"}],
        "locale": "en",
    }
    assert fed_in_pieces("body", document, size) == document["body"]


def test_a_field_of_the_same_name_in_a_nested_object_is_not_read():
    document = {"meta": {"answer": "nested"}, "answer": "top level", "sources": ["answer"]}
    assert fed_in_pieces("answer", document, 3) == "top level"


def test_non_ascii_escaped_json_is_decoded():
    text = json.dumps({"answer": "سلام، به هتل خوش آمدید 😀"}, ensure_ascii=True)
    reader = FieldText("answer")
    assert "".join(reader.feed(char) for char in text) == "سلام، به هتل خوش آمدید 😀"


def test_a_missing_field_gives_nothing():
    assert fed_in_pieces("body", {"subject": "x", "locale": "en"}, 4) == ""


def gate(blocked_word: str = "forbidden", restored: dict | None = None, max_held: int = 400) -> SentenceGate:
    mapping = restored or {}

    def restore(text: str) -> str:
        for placeholder, value in mapping.items():
            text = text.replace(placeholder, value)
        return text

    return SentenceGate(
        restore=restore, screen=lambda text: "block" if blocked_word in text else "allow", max_held=max_held
    )


def test_an_unfinished_sentence_is_held_back_until_it_ends():
    sentences = gate()
    assert sentences.feed("Welcome to the ") == ""
    assert sentences.feed("hotel. Your room") == "Welcome to the hotel. "
    assert sentences.feed(" is ready") == ""
    assert sentences.flush() == "Your room is ready"


def test_placeholders_are_restored_only_in_whole_sentences():
    sentences = gate(restored={"<PHONE_1>": "+93 70 123 4567"})
    assert sentences.feed("Call <PHO") == ""
    assert sentences.feed("NE_1> now. ") == "Call +93 70 123 4567 now. "


def test_a_blocked_sentence_stops_the_stream_before_it_is_shown():
    sentences = gate()
    assert sentences.feed("A fine sentence. ") == "A fine sentence. "
    with pytest.raises(SentenceBlocked):
        sentences.feed("A forbidden one. ")


def test_a_long_run_without_a_sentence_end_is_let_through_at_a_word_boundary():
    sentences = gate(max_held=20)
    shown = sentences.feed("word " * 6)
    assert shown and shown.endswith(" ") and len(shown) >= 20
    assert shown + sentences.flush() == "word " * 6
