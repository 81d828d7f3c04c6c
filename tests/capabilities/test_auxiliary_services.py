"""ocr.id_scan, stt.transcribe, translation.draft and vision.photo_quality end to end: POST
/api/v1/ai/complete, the real SDKs of Document AI, Speech-to-Text, Cloud Translation, Cloud
Vision and Cloud Storage against their loopback fakes, Gemini against the Vertex fake."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from capabilities.models import InferenceRecord
from capabilities.pipeline import circuit_breakers
from hitl.models import HitlGate
from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.tenancy.models import Tenant
from routing.breakers import CircuitBreakers
from routing.models import RoutingDecision
from tests.fake_providers import MEDIA_BUCKET
from tests.routing.providers.media_samples import b64, png, wav

pytestmark = pytest.mark.django_db
URL = "/api/v1/ai/complete"
BREAKERS = ("vertex", "documentai", "speech", "translation", "vision", "gcs", "edge")
ID_FIELDS = {
    "surname": "ERIKSSON",
    "given_names": "ANNA MARIA",
    "document_number": "L898902C3",
    "nationality": "UTO",
    "issuing_country": "UTO",
    "sex": "F",
    "date_of_birth": "1974-08-12",
    "date_of_expiry": "2012-04-15",
}


@pytest.fixture
def ready(providers_from_settings, google_cloud_from_settings, catalog, tenant_a, loopback_only):
    Tenant.objects.filter(pk=tenant_a.pk).update(rate_limit_per_minute=100_000, cache_enabled=False)
    circuit_breakers.cache_clear()
    breakers = CircuitBreakers()
    keys = [breakers.key(kind) for kind in BREAKERS]
    breakers._client.delete(*keys)
    yield providers_from_settings
    breakers._client.delete(*keys)
    circuit_breakers.cache_clear()


def ask(client, capability, payload, status=200, locale="en"):
    response = client.post(
        URL, {"capability": capability, "input": payload, "context": {"feature": "t", "locale": locale}}, format="json"
    )
    assert response.status_code == status, response.content[:400]
    return response.json()


def outcomes(body) -> list[tuple[str, str]]:
    return [(attempt["provider"], attempt["outcome"]) for attempt in body["provenance"]["attempts"]]


def gemini_prompt(vertex_fake) -> str:
    body = vertex_fake.received[-1].body
    return json.dumps(body, ensure_ascii=False)


def normalised_id(image_ref: str) -> dict:
    return {
        "document_type": "passport",
        "manual_entry_required": False,
        "image_ref": image_ref,
        "fields": ID_FIELDS,
        "mrz": None,
        "confidence": 0.95,
        "warnings": [],
    }


# --- ocr.id_scan ------------------------------------------------------------------------------


def test_id_scan_reads_with_document_ai_then_gemini_normalises_and_a_human_confirms(
    client_a, ready, tenant_a, google_cloud_fakes, vertex_fake
):
    image = png()
    vertex_fake.script(output=normalised_id("inline"))
    body = ask(client_a, "ocr.id_scan", {"document_type": "passport", "image_base64": b64(image)})
    assert outcomes(body) == [("documentai", "ok"), ("vertex", "ok")]
    assert body["output"]["fields"]["document_number"] == "L898902C3" and body["degraded"] is False
    assert body["hitl"] is not None and body["hitl"]["status"] == "pending"  # the catalog's `always`
    sent = google_cloud_fakes.documentai.received[-1].body
    assert sent["rawDocument"]["mimeType"] == "image/png"
    prompt = gemini_prompt(vertex_fake)
    assert "OCR text" in prompt and "P<UTOERIKSSON" in prompt and "Document Id: L898902C3" in prompt
    assert b64(image)[:200] not in prompt  # the image goes to Document AI, never into a text prompt
    with tenant_context(tenant_a.id):
        decision = RoutingDecision.objects.get(inference_id=body["id"])
    assert [attempt["provider"] for attempt in decision.attempts] == ["documentai", "vertex"]


def test_id_scan_from_a_gcs_reference_reads_the_object_first(client_a, ready, google_cloud_fakes, vertex_fake):
    ref = f"gcs://{MEDIA_BUCKET}/tenant-7/scan-0012.png"
    google_cloud_fakes.gcs.put(MEDIA_BUCKET, "tenant-7/scan-0012.png", png(), "image/png")
    vertex_fake.script(output=normalised_id(ref))
    body = ask(client_a, "ocr.id_scan", {"document_type": "passport", "image_ref": ref})
    assert outcomes(body) == [("gcs", "ok"), ("documentai", "ok"), ("vertex", "ok")]
    assert body["output"]["image_ref"] == ref


def test_a_reference_to_a_missing_object_is_a_clear_422_and_nothing_is_recorded(
    client_a, ready, tenant_a, google_cloud_fakes, vertex_fake
):
    body = ask(
        client_a,
        "ocr.id_scan",
        {"document_type": "passport", "image_ref": f"gcs://{MEDIA_BUCKET}/nothing-here.png"},
        status=422,
    )
    assert body["error"]["code"] == "media_unavailable" and "does not exist" in body["error"]["message"]
    assert google_cloud_fakes.documentai.received == [] and vertex_fake.received == []
    with tenant_context(tenant_a.id):
        assert not RoutingDecision.objects.exists()


def test_a_reference_to_something_that_is_not_an_image_is_refused(client_a, ready, google_cloud_fakes):
    google_cloud_fakes.gcs.put(MEDIA_BUCKET, "notes.png", b"just text", "text/plain")
    body = ask(
        client_a,
        "ocr.id_scan",
        {"document_type": "passport", "image_ref": f"gcs://{MEDIA_BUCKET}/notes.png"},
        status=422,
    )
    assert body["error"]["code"] == "media_unavailable" and "not image media" in body["error"]["message"]


def test_a_low_confidence_read_falls_back_to_manual_entry_with_the_image_attached(
    client_a, ready, tenant_a, google_cloud_fakes, vertex_fake
):
    google_cloud_fakes.documentai.script(degraded=True)
    body = ask(client_a, "ocr.id_scan", {"document_type": "passport", "image_base64": b64(png())})
    assert outcomes(body) == [("documentai", "ok"), ("deterministic", "ok")]
    assert body["output"]["manual_entry_required"] is True and body["output"]["image_ref"].startswith("inline:sha256:")
    assert vertex_fake.received == []  # Gemini is not asked to guess from a blurred read
    with tenant_context(tenant_a.id):
        assert HitlGate.objects.filter(inference_id=body["id"]).exists()


@pytest.mark.parametrize("failure", [{"status": 503}, {"hang": True}, {"malformed_json": True}])
def test_document_ai_failing_degrades_to_manual_entry(client_a, ready, google_cloud_fakes, vertex_fake, failure):
    google_cloud_fakes.documentai.script(times=None, **failure)
    body = ask(client_a, "ocr.id_scan", {"document_type": "passport", "image_base64": b64(png())})
    first = outcomes(body)[0]
    assert first[0] == "documentai" and first[1] in ("error", "timeout")
    assert outcomes(body)[-1] == ("deterministic", "ok") and body["degraded"] is True
    assert body["output"]["manual_entry_required"] is True and vertex_fake.received == []


def test_document_ai_not_configured_is_recorded_and_degrades(client_a, ready, vertex_fake):
    from routing.providers.registry import adapter_for

    ready.DOCUMENT_AI_PROCESSOR = None
    adapter_for.cache_clear()
    body = ask(client_a, "ocr.id_scan", {"document_type": "passport", "image_base64": b64(png())})
    assert outcomes(body) == [("documentai", "not_configured"), ("deterministic", "ok")]


def test_a_document_ai_processor_outside_the_eu_is_skipped_for_an_eu_only_tenant(
    client_a, ready, tenant_a, google_cloud_fakes
):
    from routing.providers.registry import adapter_for

    Tenant.objects.filter(pk=tenant_a.pk).update(data_residency=Tenant.Residency.EU_ONLY)
    ready.DOCUMENT_AI_PROCESSOR = "projects/fake-project/locations/us/processors/fake-id-parser"
    adapter_for.cache_clear()
    body = ask(client_a, "ocr.id_scan", {"document_type": "passport", "image_base64": b64(png())})
    assert outcomes(body)[0] == ("documentai", "residency")
    assert google_cloud_fakes.documentai.received == []


def test_the_breaker_opens_on_document_ai_after_repeated_failures(client_a, ready, google_cloud_fakes):
    google_cloud_fakes.documentai.script(times=None, status=500)
    for _ in range(ready.BREAKER_FAILURE_THRESHOLD):
        ask(client_a, "ocr.id_scan", {"document_type": "passport", "image_base64": b64(png())})
    calls = len(google_cloud_fakes.documentai.received)
    body = ask(client_a, "ocr.id_scan", {"document_type": "passport", "image_base64": b64(png())})
    assert outcomes(body)[0] == ("documentai", "circuit_open")
    assert len(google_cloud_fakes.documentai.received) == calls


# --- stt.transcribe ---------------------------------------------------------------------------


def test_a_voice_command_is_heard_with_phrase_hints_then_mapped_to_quick_taps(
    client_a, ready, google_cloud_fakes, vertex_fake
):
    audio = wav()
    vertex_fake.script(
        output={
            "transcript": "Room 204 is clean",
            "locale": "en",
            "confidence": 0.9,
            "manual_input_required": False,
            "quick_taps": [{"code": "room_clean", "label": "Room clean"}],
        }
    )
    body = ask(
        client_a,
        "stt.transcribe",
        {
            "audio_base64": b64(audio),
            "encoding": "wav",
            "locale": "en",
            "context": "housekeeping_status",
            "expected_phrases": ["room 204 is clean"],
        },
    )
    assert outcomes(body) == [("speech", "ok"), ("vertex", "ok")]
    assert body["output"]["quick_taps"][0]["code"] == "room_clean"
    config = google_cloud_fakes.speech.received[-1].body["config"]
    phrases = config["speechContexts"][0]["phrases"]
    assert phrases[0] == "room 204 is clean" and "Room clean" in phrases and "minibar" in phrases
    assert config["languageCode"] == "en-US"
    prompt = gemini_prompt(vertex_fake)
    assert "Speech-to-Text hypothesis" in prompt and "confidence 0.92" in prompt
    assert b64(audio)[:200] not in prompt


def test_a_dari_voice_note_is_recognised_as_persian_and_its_hints_are_in_dari(client_a, ready, google_cloud_fakes):
    ask(
        client_a,
        "stt.transcribe",
        {"audio_base64": b64(wav()), "encoding": "wav", "locale": "fa-AF", "context": "guest_request"},
        locale="fa-AF",
    )
    config = google_cloud_fakes.speech.received[-1].body["config"]
    assert config["languageCode"] == "fa-IR" and "حوله اضافه" in config["speechContexts"][0]["phrases"]


@pytest.mark.parametrize("script", [{"status": 503}, {"degraded": True}, {"schema_invalid": True}])
def test_a_failed_or_unsure_hearing_gives_the_quick_tap_fallback(
    client_a, ready, google_cloud_fakes, vertex_fake, script
):
    google_cloud_fakes.speech.script(times=None, **script)
    body = ask(
        client_a, "stt.transcribe", {"audio_base64": b64(wav()), "encoding": "wav", "context": "maintenance_request"}
    )
    assert outcomes(body)[-1] == ("deterministic", "ok") and outcomes(body)[0][0] == "speech"
    assert body["output"]["manual_input_required"] is True and body["output"]["transcript"] == ""
    assert vertex_fake.received == []


def test_a_voice_note_from_a_gcs_reference(client_a, ready, google_cloud_fakes, vertex_fake):
    google_cloud_fakes.gcs.put(MEDIA_BUCKET, "notes/n1.wav", wav(), "audio/wav")
    body = ask(client_a, "stt.transcribe", {"audio_ref": f"gcs://{MEDIA_BUCKET}/notes/n1.wav", "encoding": "wav"})
    assert outcomes(body)[:2] == [("gcs", "ok"), ("speech", "ok")]


# --- translation.draft ------------------------------------------------------------------------


def test_cloud_translation_answers_when_gemini_fails(client_a, ready, google_cloud_fakes, vertex_fake):
    vertex_fake.script(times=None, status=503)
    body = ask(
        client_a,
        "translation.draft",
        {"source_text": "Breakfast is served from 7 to 10.", "source_locale": "en", "target_locale": "ps"},
    )
    assert outcomes(body) == [("vertex", "error"), ("translation", "ok")]
    assert body["output"]["translated_text"] == "[ps] Breakfast is served from 7 to 10."
    assert body["output"]["direction"] == "rtl" and body["degraded"] is False
    assert body["hitl"] is not None  # accept(tenant): the tenant accepts each locale's draft
    assert google_cloud_fakes.translation.received[-1].body["targetLanguageCode"] == "ps"
    assert all("generateContent" not in item.path for item in google_cloud_fakes.translation.received)


def test_gemini_answering_leaves_cloud_translation_uncalled(client_a, ready, google_cloud_fakes):
    body = ask(client_a, "translation.draft", {"source_text": "Welcome.", "source_locale": "en", "target_locale": "fr"})
    assert outcomes(body) == [("vertex", "ok")] and google_cloud_fakes.translation.received == []


def test_both_translators_failing_ends_in_the_deterministic_fallback(client_a, ready, google_cloud_fakes, vertex_fake):
    vertex_fake.script(times=None, status=500)
    google_cloud_fakes.translation.script(times=None, status=500)
    body = ask(client_a, "translation.draft", {"source_text": "Welcome.", "source_locale": "en", "target_locale": "fr"})
    assert outcomes(body) == [("vertex", "error"), ("translation", "error"), ("deterministic", "ok")]
    assert body["degraded"] is True


# --- vision.photo_quality ---------------------------------------------------------------------


def test_the_chain_asks_the_edge_scorer_first_then_cloud_vision(client_a, ready, google_cloud_fakes):
    # No edge model is published in this test (tests/manifests has the case where it answers).
    body = ask(client_a, "vision.photo_quality", {"image_base64": b64(png()), "purpose": "room_listing"})
    assert outcomes(body) == [("edge", "not_configured"), ("vision", "ok")]
    assert body["output"]["pass"] is True and body["output"]["measurements"]["width"] == 1400


def edge_switched_off(tenant) -> None:
    from melmastoon_ai.flags.services import feature_flag_set

    feature_flag_set(key="provider.edge", enabled=False, tenant_id=tenant.id, actor="test")


def test_cloud_vision_scores_the_photo_when_the_edge_scorer_cannot(client_a, ready, tenant_a, google_cloud_fakes):
    edge_switched_off(tenant_a)
    google_cloud_fakes.gcs.put(MEDIA_BUCKET, "rooms/12.png", png(grey=25), "image/png")
    body = ask(client_a, "vision.photo_quality", {"image_ref": f"gcs://{MEDIA_BUCKET}/rooms/12.png"})
    assert ("vision", "ok") in outcomes(body) and body["provenance"]["provider"] == "vision"
    assert body["output"]["pass"] is False and any("too dark" in reason for reason in body["output"]["reasons"])
    assert body["output"]["image_ref"] == f"gcs://{MEDIA_BUCKET}/rooms/12.png"


def test_cloud_vision_failing_ends_in_the_measured_fallback(client_a, ready, tenant_a, google_cloud_fakes):
    edge_switched_off(tenant_a)
    google_cloud_fakes.vision.script(times=None, status=503)
    body = ask(client_a, "vision.photo_quality", {"image_base64": b64(png())})
    assert ("vision", "error") in outcomes(body) and outcomes(body)[-1] == ("deterministic", "ok")


# --- what the services cost -------------------------------------------------------------------
# The registry's list prices (routing/catalog_seed.py), per million units of each service's
# price_unit: Document AI $1,500 a million pages, Speech-to-Text $24,000 a million minutes billed in
# 15 s increments, Cloud Translation $20 a million characters, Cloud Vision $1,500 a million units
# (one image and one feature each; we ask for two features).


def llm_cost(body) -> Decimal:
    from routing.router import cost_of_tokens

    tokens = body["provenance"]["tokens"]
    return cost_of_tokens(body["provenance"]["model"], tokens["input"], tokens["output"])


def recorded_cost(tenant, body) -> Decimal:
    with tenant_context(tenant.id):
        return InferenceRecord.objects.get(pk=body["id"]).cost_usd


def test_an_id_scan_costs_its_document_ai_page_on_top_of_the_gemini_tokens(
    client_a, ready, tenant_a, google_cloud_fakes, vertex_fake
):
    vertex_fake.script(output=normalised_id("inline"))
    body = ask(client_a, "ocr.id_scan", {"document_type": "passport", "image_base64": b64(png())})
    assert outcomes(body) == [("documentai", "ok"), ("vertex", "ok")]
    assert Decimal(body["provenance"]["cost_usd"]) == Decimal("0.001500") + llm_cost(body)
    assert recorded_cost(tenant_a, body) == Decimal("0.001500") + llm_cost(body)


def test_a_manual_entry_after_a_blurred_read_still_costs_the_page_read(client_a, ready, tenant_a, google_cloud_fakes):
    google_cloud_fakes.documentai.script(degraded=True)
    body = ask(client_a, "ocr.id_scan", {"document_type": "passport", "image_base64": b64(png())})
    assert body["provenance"]["provider"] == "deterministic"
    assert Decimal(body["provenance"]["cost_usd"]) == Decimal("0.001500")  # Document AI billed the page


def test_a_voice_command_costs_its_billed_time_rounded_up_to_15_seconds(
    client_a, ready, tenant_a, google_cloud_fakes, vertex_fake
):
    body = ask(client_a, "stt.transcribe", {"audio_base64": b64(wav()), "encoding": "wav", "locale": "en"})
    assert outcomes(body)[:2] == [("speech", "ok"), ("vertex", "ok")]
    # the fake bills 2 s: one 15 s increment, $0.006 (a quarter of a minute at $0.024 a minute)
    assert Decimal(body["provenance"]["cost_usd"]) == Decimal("0.006000") + llm_cost(body)


def test_a_cloud_translation_draft_costs_its_characters(client_a, ready, google_cloud_fakes, vertex_fake):
    vertex_fake.script(times=None, status=503)
    text = "Breakfast is served from 7 to 10."
    body = ask(client_a, "translation.draft", {"source_text": text, "source_locale": "en", "target_locale": "ps"})
    assert body["provenance"]["provider"] == "translation"
    assert Decimal(body["provenance"]["cost_usd"]) == (Decimal(len(text)) * 20 / 1_000_000).quantize(Decimal("1e-6"))


def test_a_cloud_vision_score_costs_its_two_features(client_a, ready, tenant_a, google_cloud_fakes):
    edge_switched_off(tenant_a)
    body = ask(client_a, "vision.photo_quality", {"image_base64": b64(png())})
    assert body["provenance"]["provider"] == "vision"
    assert Decimal(body["provenance"]["cost_usd"]) == Decimal("0.003000")


# --- gs:// and gcs:// ---------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["gcs", "gs"])
@pytest.mark.parametrize(
    "case",
    [
        ("ocr.id_scan", "image_ref", {"document_type": "passport"}, "scans/1.png", png, "image/png", "documentai"),
        ("stt.transcribe", "audio_ref", {"encoding": "wav"}, "notes/1.wav", wav, "audio/wav", "speech"),
        ("vision.photo_quality", "image_ref", {"purpose": "room_listing"}, "rooms/1.png", png, "image/png", "vision"),
    ],
)
def test_both_spellings_of_a_cloud_storage_reference_are_read(client_a, ready, google_cloud_fakes, scheme, case):
    capability, field, payload, name, data, content_type, reader = case
    google_cloud_fakes.gcs.put(MEDIA_BUCKET, name, data(), content_type)
    body = ask(client_a, capability, payload | {field: f"{scheme}://{MEDIA_BUCKET}/{name}"})
    assert outcomes(body)[0] == ("gcs", "ok") and (reader, "ok") in outcomes(body)  # the media went to its reader
    read = [item.path.split("?")[0] for item in google_cloud_fakes.gcs.received]
    assert any(path.endswith(name.replace("/", "%2F")) for path in read)
