"""Document AI, Speech-to-Text, Cloud Translation, Cloud Vision and Cloud Storage through their
real SDKs (REST transport) against the loopback fakes: what goes on the wire, what comes back,
and every failure the fakes can script as our ProviderError."""

from __future__ import annotations

import base64

import pytest

from routing.providers.base import AuxiliaryRequest, MediaItem, ProviderError
from routing.providers.documentai import DocumentAiAdapter, DocumentAiConfig
from routing.providers.gcs import GcsConfig, GcsMediaReader
from routing.providers.gcs.mapping import MediaRefusal
from routing.providers.speech import SpeechAdapter, SpeechConfig
from routing.providers.translation import TranslationAdapter, TranslationConfig
from routing.providers.vision import VisionAdapter, VisionConfig
from tests.fake_providers import FAKE_GOOGLE_TOKEN, FAKE_PROCESSOR, MEDIA_BUCKET
from tests.routing.providers.media_samples import png, wav
from tests.routing.providers.support import context, make_request

FAILURES = [
    ({"status": 503}, "overloaded", True),
    ({"status": 429}, "rate_limited", True),
    ({"status": 500}, "server", True),
    ({"status": 401}, "auth", False),
    ({"status": 400}, "bad_request", False),
    ({"hang": True}, "timeout", True),
    ({"malformed_json": True}, "malformed", True),
    ({"truncated": True}, "malformed", True),
]
UNREACHABLE = "http://127.0.0.1:9"


def documentai(endpoint: str) -> DocumentAiAdapter:
    return DocumentAiAdapter(
        DocumentAiConfig(processor=FAKE_PROCESSOR, endpoint=endpoint, access_token=FAKE_GOOGLE_TOKEN)
    )


def speech(endpoint: str) -> SpeechAdapter:
    return SpeechAdapter(SpeechConfig(location="eu", endpoint=endpoint, access_token=FAKE_GOOGLE_TOKEN))


def translation(endpoint: str) -> TranslationAdapter:
    return TranslationAdapter(
        TranslationConfig(project="fake-project", endpoint=endpoint, access_token=FAKE_GOOGLE_TOKEN)
    )


def vision(endpoint: str) -> VisionAdapter:
    return VisionAdapter(VisionConfig(location="eu", endpoint=endpoint, access_token=FAKE_GOOGLE_TOKEN))


def id_scan(timeout: float = 2.0, media: MediaItem | None = None) -> AuxiliaryRequest:
    return AuxiliaryRequest(
        capability_id="ocr.id_scan",
        model="document-ai-ocr",
        media=media or MediaItem("image", png(), "image/png"),
        payload={"document_type": "passport"},
        timeout_seconds=timeout,
        context=context(),
    )


def voice_note(timeout: float = 2.0, hints: tuple[str, ...] = ()) -> AuxiliaryRequest:
    return AuxiliaryRequest(
        capability_id="stt.transcribe",
        model="vertex-speech-to-text",
        media=MediaItem("audio", wav(), "audio/wav"),
        payload={"encoding": "wav", "locale": "fr"},
        timeout_seconds=timeout,
        context=context(),
        phrase_hints=hints,
    )


def photo_request(image: bytes, timeout: float = 2.0, **payload):
    request = make_request(
        "vision.photo_quality", model="vertex-vision", timeout=timeout, payload={"image_base64": "cmVm", **payload}
    )
    ctx = context()
    return type(request)(
        **{
            **request.__dict__,
            "context": type(ctx)(**{**ctx.__dict__, "media": (MediaItem("image", image, "image/png"),)}),
        }
    )


def translate_request(text: str, timeout: float = 2.0, **extra):
    return make_request(
        "translation.draft",
        model="cloud-translation",
        timeout=timeout,
        payload={"source_text": text, "source_locale": "en", "target_locale": "prs", **extra},
    )


# --- Document AI ------------------------------------------------------------------------------


def test_document_ai_reads_the_id_parsers_entities_from_the_region_pinned_processor(google_cloud_fakes):
    fake = google_cloud_fakes.documentai
    result = documentai(fake.base_url).extract(id_scan())
    assert result.fields["Family Name"] == "ERIKSSON" and result.fields["Document Id"] == "L898902C3"
    assert "P<UTOERIKSSON" in result.text and 0.9 < result.confidence <= 1
    sent = fake.received[-1]
    assert sent.path.startswith(f"/v1/{FAKE_PROCESSOR}:process")
    assert sent.headers["authorization"] == f"Bearer {FAKE_GOOGLE_TOKEN}"
    assert sent.headers["x-melmastoon-capability"] == "ocr.id_scan"
    assert base64.b64decode(sent.body["rawDocument"]["content"]) == png()
    assert sent.body["rawDocument"]["mimeType"] == "image/png" and sent.body["skipHumanReview"] is True
    assert documentai(fake.base_url).processing_regions(context()) == ("eu",)


def test_document_ai_low_confidence_read_is_reported_as_such(google_cloud_fakes):
    google_cloud_fakes.documentai.script(degraded=True)
    result = documentai(google_cloud_fakes.documentai.base_url).extract(id_scan())
    assert result.confidence < 0.5 and "Document Id" not in result.fields


def test_document_ai_refuses_bytes_that_are_not_a_document_before_calling(google_cloud_fakes):
    with pytest.raises(ProviderError) as caught:
        documentai(google_cloud_fakes.documentai.base_url).extract(id_scan(media=MediaItem("image", b"xx", "")))
    assert caught.value.kind == "bad_request" and google_cloud_fakes.documentai.received == []


@pytest.mark.parametrize(("script", "kind", "retryable"), FAILURES)
def test_document_ai_failures_are_provider_errors(google_cloud_fakes, script, kind, retryable):
    google_cloud_fakes.documentai.script(**script)
    with pytest.raises(ProviderError) as caught:
        documentai(google_cloud_fakes.documentai.base_url).extract(id_scan(timeout=0.5))
    assert (caught.value.kind, caught.value.retryable) == (kind, retryable)
    assert "ERIKSSON" not in str(caught.value)


def test_document_ai_unreachable_is_unavailable():
    with pytest.raises(ProviderError) as caught:
        documentai(UNREACHABLE).extract(id_scan())
    assert caught.value.kind == "unavailable"


def test_a_malformed_processor_name_fails_at_construction():
    with pytest.raises(ValueError):
        DocumentAiAdapter(DocumentAiConfig(processor="processors/x"))


# --- Speech-to-Text ---------------------------------------------------------------------------


def test_speech_recognises_with_the_locale_and_the_phrase_hints(google_cloud_fakes):
    fake = google_cloud_fakes.speech
    result = speech(fake.base_url).extract(voice_note(hints=("chambre propre", "serviettes")))
    assert result.text == "chambre propre" and result.confidence == pytest.approx(0.92)
    config = fake.received[-1].body["config"]
    assert config["languageCode"] == "fr-FR" and config["encoding"] == 1  # LINEAR16, as the REST transport encodes it
    assert config["speechContexts"][0]["phrases"] == ["chambre propre", "serviettes"]
    assert "sampleRateHertz" not in config  # WAV carries its own header
    assert base64.b64decode(fake.received[-1].body["audio"]["content"]) == wav()


def test_speech_silence_is_an_empty_hypothesis_not_an_error(google_cloud_fakes):
    google_cloud_fakes.speech.script(schema_invalid=True)
    result = speech(google_cloud_fakes.speech.base_url).extract(voice_note())
    assert (result.text, result.confidence) == ("", 0.0)


def test_speech_refuses_audio_whose_encoding_it_cannot_tell(google_cloud_fakes):
    request = voice_note()
    request = AuxiliaryRequest(**{**request.__dict__, "payload": {}, "media": MediaItem("audio", b"\0\0", "")})
    with pytest.raises(ProviderError) as caught:
        speech(google_cloud_fakes.speech.base_url).extract(request)
    assert caught.value.kind == "bad_request" and google_cloud_fakes.speech.received == []


@pytest.mark.parametrize(("script", "kind", "retryable"), FAILURES)
def test_speech_failures_are_provider_errors(google_cloud_fakes, script, kind, retryable):
    google_cloud_fakes.speech.script(**script)
    with pytest.raises(ProviderError) as caught:
        speech(google_cloud_fakes.speech.base_url).extract(voice_note(timeout=0.5))
    assert (caught.value.kind, caught.value.retryable) == (kind, retryable)


# --- Cloud Translation ------------------------------------------------------------------------


def test_translation_sends_each_chunk_to_translate_text_and_puts_the_breaks_back(google_cloud_fakes):
    fake = google_cloud_fakes.translation
    text = "Welcome to room 12.\n\n" + "Breakfast is served from 7 to 10. " * 40
    response = translation(fake.base_url).complete(translate_request(text))
    calls = [item.body for item in fake.received]
    assert len(calls) >= 2 and all(len(body["contents"][0]) <= 1000 for body in calls)
    assert {body["targetLanguageCode"] for body in calls} == {"fa-AF"}  # Dari
    assert fake.received[0].path.startswith("/v3/projects/fake-project/locations/europe-west1:translateText")
    output = response.output
    assert output["translated_text"].startswith("[fa-AF] Welcome to room 12.\n\n[fa-AF] Breakfast")
    assert output["direction"] == "rtl" and output["needs_human_translation"] is False


def test_translation_marks_a_draft_whose_glossary_term_was_not_applied(google_cloud_fakes):
    response = translation(google_cloud_fakes.translation.base_url).complete(
        translate_request(
            "The Pamir Suite has a view.", glossary=[{"term": "Pamir Suite", "translation": "سویت پامیر"}]
        )
    )
    assert response.output["needs_human_translation"] is True
    assert any("سویت پامیر" in note for note in response.output["notes"])


@pytest.mark.parametrize(("script", "kind", "retryable"), [*FAILURES, ({"schema_invalid": True}, "malformed", True)])
def test_translation_failures_are_provider_errors(google_cloud_fakes, script, kind, retryable):
    google_cloud_fakes.translation.script(**script)
    with pytest.raises(ProviderError) as caught:
        translation(google_cloud_fakes.translation.base_url).complete(translate_request("Hello.", timeout=0.5))
    assert (caught.value.kind, caught.value.retryable) == (kind, retryable)


# --- Cloud Vision -----------------------------------------------------------------------------


def test_vision_scores_a_well_exposed_photo_from_its_image_properties(google_cloud_fakes):
    fake = google_cloud_fakes.vision
    response = vision(fake.base_url).complete(photo_request(png()))
    output = response.output
    assert output["pass"] is True and output["measurements"]["width"] == 1400
    assert 90 < output["measurements"]["mean_luminance"] < 170 and output["measurements"]["sharpness"] is None
    features = fake.received[-1].body["requests"][0]["features"]
    assert {feature["type"] for feature in features} == {7, 6}  # IMAGE_PROPERTIES, SAFE_SEARCH_DETECTION


def test_vision_fails_a_dark_photo_and_an_unsafe_one(google_cloud_fakes):
    dark = vision(google_cloud_fakes.vision.base_url).complete(photo_request(png(grey=20))).output
    assert dark["pass"] is False and any("too dark" in reason for reason in dark["reasons"])
    google_cloud_fakes.vision.script(refusal=True)
    unsafe = vision(google_cloud_fakes.vision.base_url).complete(photo_request(png())).output
    assert unsafe["pass"] is False and any("adult" in reason for reason in unsafe["reasons"])


def test_vision_per_image_error_is_a_bad_request(google_cloud_fakes):
    with pytest.raises(ProviderError) as caught:
        vision(google_cloud_fakes.vision.base_url).complete(photo_request(b"GIF8 not really"))
    assert caught.value.kind == "bad_request"


@pytest.mark.parametrize(("script", "kind", "retryable"), [*FAILURES, ({"schema_invalid": True}, "malformed", True)])
def test_vision_failures_are_provider_errors(google_cloud_fakes, script, kind, retryable):
    google_cloud_fakes.vision.script(**script)
    with pytest.raises(ProviderError) as caught:
        vision(google_cloud_fakes.vision.base_url).complete(photo_request(png(), timeout=0.5))
    assert (caught.value.kind, caught.value.retryable) == (kind, retryable)


# --- Cloud Storage (media references) ---------------------------------------------------------


def reader(endpoint: str, max_bytes: int = 1_000_000) -> GcsMediaReader:
    return GcsMediaReader(
        GcsConfig(
            project="fake-project",
            buckets=(MEDIA_BUCKET,),
            endpoint=endpoint,
            access_token=FAKE_GOOGLE_TOKEN,
            max_bytes=max_bytes,
            timeout_seconds=0.5,
        )
    )


@pytest.mark.parametrize("scheme", ["gcs", "gs"])
def test_a_referenced_image_is_read_after_its_size_and_type_are_checked(google_cloud_fakes, scheme):
    google_cloud_fakes.gcs.put(MEDIA_BUCKET, "tenant-7/scan+1.png", png(), "image/png")
    item = reader(google_cloud_fakes.gcs.base_url).read(f"{scheme}://{MEDIA_BUCKET}/tenant-7/scan+1.png", kind="image")
    assert item.data == png() and item.content_type == "image/png" and str(len(png())) in repr(item)
    paths = [request.path for request in google_cloud_fakes.gcs.received]
    assert any("/o/tenant-7%2Fscan%2B1.png?" in path for path in paths)
    assert any(path.startswith("/download/") for path in paths)


@pytest.mark.parametrize(
    ("ref", "stored", "reason"),
    [
        (f"gcs://{MEDIA_BUCKET}/missing.png", None, "does not exist"),
        (f"gcs://{MEDIA_BUCKET}/big.png", (b"\x89PNG" + b"0" * 2000, "image/png"), "more than"),
        (f"gcs://{MEDIA_BUCKET}/notes.txt", (b"hello", "text/plain"), "not image media"),
        ("gcs://someone-elses-bucket/scan.png", None, "not one this gateway reads"),
        ("https://example.com/scan.png", None, "only gcs://"),
    ],
)
def test_a_reference_that_can_never_be_read_is_refused_without_downloading(google_cloud_fakes, ref, stored, reason):
    if stored is not None:
        google_cloud_fakes.gcs.put(MEDIA_BUCKET, ref.rsplit("/", 1)[1], *stored)
    with pytest.raises(MediaRefusal) as caught:
        reader(google_cloud_fakes.gcs.base_url, max_bytes=1000).read(ref, kind="image")
    assert reason in caught.value.reason
    assert not any(request.path.startswith("/download/") for request in google_cloud_fakes.gcs.received)


@pytest.mark.parametrize(("script", "kind"), [({"status": 503}, "overloaded"), ({"hang": True}, "timeout")])
def test_a_storage_outage_is_a_provider_error_not_a_refusal(google_cloud_fakes, script, kind):
    google_cloud_fakes.gcs.put(MEDIA_BUCKET, "scan.png", png(), "image/png")
    google_cloud_fakes.gcs.script(times=None, **script)
    with pytest.raises(ProviderError) as caught:
        reader(google_cloud_fakes.gcs.base_url).read(f"gcs://{MEDIA_BUCKET}/scan.png", kind="image")
    assert caught.value.kind == kind
