"""The pure halves of the Google Cloud adapters: text chunking, Document AI form fields, speech
configuration, Cloud Vision's exposure reading, media reference checks."""

from __future__ import annotations

import pytest

from routing.media import sniff, without_media
from routing.providers.base import AuxiliaryRequest, MediaItem, ProviderError
from routing.providers.documentai import mapping as documentai
from routing.providers.gcs import mapping as gcs
from routing.providers.speech import mapping as speech
from routing.providers.translation import mapping as translation
from routing.providers.vision import mapping as vision
from tests.routing.providers.media_samples import png, wav
from tests.routing.providers.support import context


def test_chunks_cut_at_paragraphs_then_sentences_and_give_the_text_back():
    text = "First paragraph.\n\n" + "A sentence of forty characters, or so.. " * 60 + "\nLast."
    pieces = translation.chunks(text, limit=300)
    assert all(len(piece) <= 300 for piece, _ in pieces)
    assert "".join(piece + separator for piece, separator in pieces) == text
    assert pieces[0] == ("First paragraph.", "\n\n")


def test_a_sentence_longer_than_a_chunk_is_cut_at_a_space():
    pieces = translation.chunks("word " * 100, limit=50)
    assert all(len(piece) <= 50 for piece, _ in pieces) and "".join(p + s for p, s in pieces) == "word " * 100


def test_document_ai_form_fields_are_read_through_their_text_anchors():
    text = "Name: ANNA\nNo: L898902C3\n"
    field = {
        "field_name": {"text_anchor": {"text_segments": [{"start_index": 0, "end_index": 5}]}},
        "field_value": {"text_anchor": {"text_segments": [{"start_index": 6, "end_index": 10}]}, "confidence": 0.8},
    }
    result = documentai.document_result({"document": {"text": text, "pages": [{"form_fields": [field]}]}})
    assert result.fields == {"Name": "ANNA"} and result.confidence == pytest.approx(0.8)


def test_document_ai_without_a_document_is_malformed_and_an_empty_one_reads_nothing():
    with pytest.raises(ProviderError) as caught:
        documentai.document_result({})
    assert caught.value.kind == "malformed"
    empty = documentai.document_result({"document": {"text": ""}})
    assert (empty.text, empty.confidence) == ("", 0.0)


def test_a_processor_name_gives_its_location():
    assert documentai.processor_location("projects/p/locations/eu/processors/abc/processorVersions/v2") == "eu"


@pytest.mark.parametrize(("locale", "code"), [("prs", "fa-IR"), ("fa-AF", "fa-IR"), ("ps", "ps-AF"), ("de", "de-DE")])
def test_speech_language_codes(locale, code):
    assert speech.language_code(locale) == code


def test_speech_config_for_opus_names_the_sample_rate_and_dedupes_hints():
    request = AuxiliaryRequest(
        capability_id="stt.transcribe",
        model="m",
        media=MediaItem("audio", b"OggS", "audio/ogg"),
        payload={"sample_rate_hz": 48000},
        timeout_seconds=1,
        context=context(),
        phrase_hints=("towels", "towels", " ", "minibar"),
    )
    config = speech.recognize_request(request, "en")["config"]
    assert config["encoding"] == "OGG_OPUS" and config["sample_rate_hertz"] == 48000
    assert config["speech_contexts"][0]["phrases"] == ["towels", "minibar"]


def test_vision_reads_clipped_highlights_from_dominant_colours():
    data = {
        "responses": [
            {
                "image_properties_annotation": {
                    "dominant_colors": {
                        "colors": [
                            {"color": {"red": 255, "green": 255, "blue": 255}, "pixel_fraction": 0.5},
                            {"color": {"red": 120, "green": 120, "blue": 120}, "pixel_fraction": 0.5},
                        ]
                    }
                },
                "safe_search_annotation": {"adult": 1, "racy": 2, "violence": 1},
            }
        ]
    }
    output = vision.photo_quality(data, payload={"purpose": "room_listing"}, size=(1600, 900)).output
    assert output["measurements"]["highlight_clip_fraction"] == 0.5 and output["pass"] is False
    assert any("blown-out" in reason for reason in output["reasons"])


def test_vision_likelihood_numbers_count_as_unsafe_like_names():
    data = {
        "responses": [
            {
                "image_properties_annotation": {
                    "dominant_colors": {
                        "colors": [{"color": {"red": 130, "green": 130, "blue": 130}, "pixel_fraction": 1.0}]
                    }
                },
                "safe_search_annotation": {"adult": 5},
            }
        ]
    }
    output = vision.photo_quality(data, payload={}, size=(1600, 900)).output
    assert output["pass"] is False and any("adult" in reason for reason in output["reasons"])


def test_sniff_and_the_prompt_view_of_media():
    assert sniff(png()) == "image/png" and sniff(wav()) == "audio/wav" and sniff(b"hello") == ""
    shown = without_media({"image_base64": "QUJD" * 100, "document_type": "passport"})
    assert "QUJD" not in shown["image_base64"] and shown["document_type"] == "passport"


@pytest.mark.parametrize(
    ("size", "content_type", "reason"),
    [(0, "image/png", "empty"), (11, "image/png", "more than"), (5, "application/zip", "not image media")],
)
def test_object_checks_refuse_what_cannot_be_media(size, content_type, reason):
    with pytest.raises(gcs.MediaRefusal) as caught:
        gcs.check_object(kind="image", size=size, content_type=content_type, max_bytes=10)
    assert reason in caught.value.reason
    assert gcs.check_object(kind="audio", size=5, content_type="audio/ogg; codecs=opus", max_bytes=10) == "audio/ogg"
