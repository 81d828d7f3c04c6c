"""The edge provider through the real request paths: /complete and /embed, verified on every load.

Each refusal (a changed manifest byte, a changed model file, another key, a revoked key version)
must block the load, emit `edge.model_refused`, and leave the request answered by the next model
of the chain (no cloud provider is configured here, so the deterministic fallback).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from PIL import Image, ImageFilter

from manifests import building
from manifests.models import EdgeModelManifest
from manifests.services import manifest_publish, signing_key_rotate, signing_key_version_revoke
from manifests.signing.verify import sign_digest_with
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.tenancy.context import tenant_context
from routing.fakes.kms_server import FakeKmsServer
from routing.providers.edge.client import EdgeModels
from routing.providers.registry import adapter_for
from tests.factories import faq_ingested
from tests.manifests.conftest import flip_a_byte

pytestmark = pytest.mark.django_db
REFERENCE = json.loads((Path(__file__).parent / "data" / "minilm_reference_vectors.json").read_text())
NIGHT_VOIDS = {
    "currency": "USD",
    "events": [
        {
            "event_id": f"ev-{n}",
            "type": "void",
            "at": f"2025-03-02T0{n}:12:00+04:30",
            "user_id": "u-17",
            "amount": 50 + n,
        }
        for n in range(1, 5)
    ]
    + [{"event_id": "ev-9", "type": "refund", "at": "2025-03-02T02:30:00+04:30", "user_id": "u-17", "amount": 780}],
}
ORDINARY_DAY = {
    "events": [
        {"event_id": "k1", "type": "keycard_success", "at": "2025-07-14T14:02:00Z", "room_number": "204"},
        {"event_id": "c1", "type": "check_in", "at": "2025-07-14T14:05:00Z", "user_id": "u-3"},
        {"event_id": "p1", "type": "payment", "at": "2025-07-14T14:10:00Z", "user_id": "u-3", "amount": 120},
    ]
}


def complete(client, capability, payload):
    response = client.post(
        "/api/v1/ai/complete",
        {"capability": capability, "input": payload, "context": {"feature": "edge-tests", "locale": "en"}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    return response.json()


def refusals(tenant) -> list[dict]:
    with tenant_context(tenant.id):
        return list(OutboxEvent.objects.filter(topic="edge.model_refused").values_list("payload", flat=True))


def first_attempt(body) -> dict:
    return body["provenance"]["attempts"][0]


def jpeg(pixels: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8), mode="L").save(buffer, format="JPEG", quality=85)
    return base64.b64encode(buffer.getvalue()).decode()


def room_photo(*, width=800, height=600, blur=0.0, gain=1.0) -> str:
    """A grey "room": a lit wall, furniture blocks, fine texture; optionally blurred and darkened."""
    rng = np.random.default_rng(3)
    pixels = np.linspace(90, 170, width)[None, :].repeat(height, axis=0) + rng.normal(0, 6, (height, width))
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")
    for left in range(0, width - 150, 200):
        image.paste(int(rng.integers(30, 220)), (left, 150, left + 120, 450))
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    return jpeg(np.clip(np.asarray(image, dtype=np.float64) * gain, 0, 255))


# --- served by the edge models ---------------------------------------------------------------


def test_embed_is_answered_by_the_edge_minilm_in_384_dimensions_not_degraded(client_a, edge):
    body = client_a.post(
        "/api/v1/ai/embed",
        {"texts": ["What time is check-out?", "When must guests leave?", "The pool is closed"]},
        format="json",
    ).json()
    assert (body["model"], body["dim"], body["provenance"]["degraded"]) == ("all-minilm-l6-v2", 384, False)
    assert [a["outcome"] for a in body["provenance"]["attempts"]] == ["not_configured", "ok"]
    checkout, leave, pool = (np.array(vector) for vector in body["embeddings"])
    assert checkout @ leave > checkout @ pool + 0.2  # meaning, not spelling: no word is shared


def test_the_edge_embedder_agrees_with_reference_vectors_of_the_original_fp32_model(edge):
    _model, vectors = adapter_for("edge").embed(REFERENCE["sentences"], tenant_id=None)
    cosines = [float(np.dot(ours, reference)) for ours, reference in zip(vectors, REFERENCE["vectors"], strict=True)]
    assert min(cosines) >= 0.999, cosines


def test_anomaly_detect_is_classified_by_the_edge_model(client_a, edge):
    spree = complete(client_a, "anomaly.detect", NIGHT_VOIDS)
    assert spree["provenance"]["provider"] == "edge" and spree["degraded"] is False
    assert spree["output"]["verdict"] == "anomalous" and spree["output"]["recommend_block"] is True
    assert spree["output"]["subjects"] == ["u-17"] and spree["hitl"]["status"] == "pending"  # a human confirms
    calm = complete(client_a, "anomaly.detect", ORDINARY_DAY)
    assert calm["provenance"]["provider"] == "edge" and calm["output"]["verdict"] == "normal"


def test_photo_quality_is_scored_by_the_edge_model_over_measured_features(client_a, edge):
    sharp = complete(client_a, "vision.photo_quality", {"image_base64": room_photo(), "purpose": "housekeeping_proof"})
    assert sharp["provenance"]["provider"] == "edge", sharp["provenance"]["attempts"]
    assert sharp["output"]["pass"] is True, sharp["output"]
    poor = complete(
        client_a,
        "vision.photo_quality",
        {"image_base64": room_photo(blur=4, gain=0.35), "purpose": "housekeeping_proof"},
    )
    assert poor["provenance"]["provider"] == "edge" and poor["output"]["pass"] is False
    assert any("dark" in reason or "blurred" in reason for reason in poor["output"]["reasons"])


def test_the_edge_scorer_reads_a_gcs_referenced_photo_before_any_cloud_path(
    client_a, edge, google_cloud_from_settings, google_cloud_fakes
):
    from tests.fake_providers import MEDIA_BUCKET

    google_cloud_fakes.gcs.put(MEDIA_BUCKET, "proof/204.jpg", base64.b64decode(room_photo()), "image/jpeg")
    body = complete(
        client_a,
        "vision.photo_quality",
        {"image_ref": f"gcs://{MEDIA_BUCKET}/proof/204.jpg", "purpose": "housekeeping_proof"},
    )
    assert [a["provider"] for a in body["provenance"]["attempts"]] == ["gcs", "edge"]
    assert body["provenance"]["provider"] == "edge" and body["output"]["pass"] is True
    assert google_cloud_fakes.vision.received == []  # the edge scorer answered: Cloud Vision is never asked


def test_tutor_answer_finds_the_faq_entry_by_meaning_with_the_edge_embedder(client_a, tenant_a, edge):
    faq_ingested(
        tenant_a,
        [
            {"question": "What time is check-out?", "answer": "Check-out is at 11:00; late check-out costs extra."},
            {"question": "Where is the swimming pool?", "answer": "On the roof, open 7:00 to 21:00."},
        ],
    )
    # No word in common with the entry; the embedder still sees the meaning.
    body = complete(client_a, "tutor.answer", {"question": "Can guests swim?", "locale": "en"})
    assert body["provenance"]["provider"] == "edge" and body["provenance"]["model"] == "all-minilm-l6-v2"
    assert body["output"]["answer"] == "On the roof, open 7:00 to 21:00.", body["output"]
    unrelated = complete(client_a, "tutor.answer", {"question": "How do I reset the key card encoder?", "locale": "en"})
    assert unrelated["provenance"]["provider"] == "edge" and unrelated["output"]["sources"] == []


# --- refused loads: the next model of the chain answers -----------------------------------------


@pytest.mark.parametrize("file", ["model.onnx", "tokenizer.json"])
def test_a_tampered_model_file_or_tokenizer_is_refused_and_embed_falls_back(client_a, tenant_a, edge, file):
    flip_a_byte(edge.path("all-minilm-l6-v2", file))
    body = client_a.post("/api/v1/ai/embed", {"texts": ["late check-out"]}, format="json").json()
    assert body["provenance"]["provider"] == "deterministic" and body["provenance"]["degraded"] is True
    assert body["provenance"]["attempts"][1] == {
        "provider": "edge",
        "model": "all-minilm-l6-v2",
        "outcome": "error",
        "detail": "refused",
    }
    [event] = refusals(tenant_a)
    assert (event["model"], event["reason"]) == ("all-minilm-l6-v2", "sha256_mismatch")
    assert event["actual_sha256"] != event["expected_sha256"]


def test_a_changed_file_is_detected_on_the_next_load_even_after_a_good_one(client_a, tenant_a, edge):
    assert complete(client_a, "anomaly.detect", NIGHT_VOIDS)["provenance"]["provider"] == "edge"
    flip_a_byte(edge.path("melmastoon-edge-anomaly-v3"))
    body = complete(client_a, "anomaly.detect", ORDINARY_DAY)
    assert body["provenance"]["provider"] == "deterministic"
    assert first_attempt(body)["detail"] == "refused"
    assert [event["reason"] for event in refusals(tenant_a)] == ["sha256_mismatch"]


def test_a_tampered_manifest_byte_is_refused_and_the_next_in_the_chain_answers(client_a, tenant_a, edge):
    body = edge.manifest.body
    index = body.index('"licence":"proprietary')  # a byte no parser would notice
    EdgeModelManifest.objects.filter(pk=edge.manifest.pk).update(body=body[: index + 12] + "P" + body[index + 13 :])
    answer = complete(client_a, "anomaly.detect", NIGHT_VOIDS)
    assert answer["provenance"]["provider"] == "deterministic"
    assert first_attempt(answer) | {"latency_ms": 0} == {
        "provider": "edge",
        "model": "melmastoon-edge-anomaly-v3",
        "outcome": "error",
        "detail": "refused",
        "latency_ms": 0,
    }
    assert [event["reason"] for event in refusals(tenant_a)] == ["bad_signature"]


def test_a_manifest_signed_by_another_key_is_refused(client_a, tenant_a, edge):
    intruder = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = sign_digest_with(intruder, hashlib.sha256(edge.manifest.body.encode()).digest())
    EdgeModelManifest.objects.filter(pk=edge.manifest.pk).update(signature=base64.b64encode(forged).decode())
    answer = complete(client_a, "vision.photo_quality", {"image_base64": room_photo(), "purpose": "housekeeping_proof"})
    assert answer["provenance"]["provider"] == "deterministic"
    assert [event["reason"] for event in refusals(tenant_a)] == ["bad_signature"]


def test_a_revoked_key_version_stops_verifying_until_a_manifest_is_signed_by_a_new_one(client_a, tenant_a, edge):
    signing_key_version_revoke(name="local:1", reason="test: key compromised", actor="test")
    refused = complete(client_a, "anomaly.detect", NIGHT_VOIDS)
    assert refused["provenance"]["provider"] == "deterministic"
    assert [event["reason"] for event in refusals(tenant_a)] == ["key_revoked"]
    manifest = signing_key_rotate(actor="test", revoke_previous=True)
    assert manifest.key_version.name == "local:2" and manifest.version == "1.1.0"
    served = complete(client_a, "anomaly.detect", ORDINARY_DAY)
    assert served["provenance"]["provider"] == "edge"


def test_sessions_are_cached_per_model_and_digest(edge):
    models = EdgeModels()
    first = models.load("melmastoon-edge-anomaly-v3", tenant_id=None)
    again = models.load("melmastoon-edge-anomaly-v3", tenant_id=None)
    assert (
        first.session is again.session
        and first.sha256 == edge.manifest.edge_models.get(name="melmastoon-edge-anomaly-v3").sha256
    )


def test_without_a_published_manifest_the_edge_provider_is_not_configured(client_a, catalog, edge_dirs):
    body = complete(client_a, "anomaly.detect", NIGHT_VOIDS)
    assert first_attempt(body)["outcome"] == "not_configured" and body["provenance"]["provider"] == "deterministic"


def test_a_manifest_signed_with_cloud_kms_verifies_on_load_and_serves(client_a, catalog, edge_dirs, settings):
    _model_dir, prepared = edge_dirs
    key_version = "projects/p/locations/europe-west1/keyRings/manifests/cryptoKeys/signer/cryptoKeyVersions/3"
    with FakeKmsServer() as kms:
        settings.MANIFEST_SIGNER = f"kms:{key_version}"
        settings.KMS_API_ENDPOINT = kms.base_url
        settings.KMS_ACCESS_TOKEN = "fake-token"
        building.register(prepared)
        manifest = manifest_publish(actor="test")
        assert (manifest.key_version.name, manifest.key_version.backend) == (key_version, "kms")
        body = complete(client_a, "anomaly.detect", NIGHT_VOIDS)
        signed = [request for request in kms.received if ":asymmetricSign" in request.path]
    assert body["provenance"]["provider"] == "edge"
    assert len(signed) == 1 and signed[0].body["digestCrc32c"]  # the digest went with its CRC32C


def test_a_large_new_faq_stops_at_the_deadline_and_keeps_what_it_embedded(edge, catalog):
    from capabilities.fallbacks import FaqEntry
    from routing.providers.base import ProviderError, ProviderRequest, RequestContext

    entries = tuple(
        FaqEntry(id=f"faq-{n}", question=f"Question number {n} about room {n}?", answer=f"Answer {n}.", locale="en")
        for n in range(80)
    )
    context = RequestContext(
        tenant_id="",
        tenant_region="europe-west1",
        tenant_country="AF",
        locale="en",
        feature="tests",
        offline=False,
        faq_entries=entries,
    )
    request = ProviderRequest(
        capability_id="tutor.answer",
        model="all-minilm-l6-v2",
        system_prompt=None,
        user_prompt=None,
        payload={"question": "Question number 7 about room 7?", "locale": "en"},
        output_schema={},
        max_output_tokens=256,
        temperature=0.0,
        timeout_seconds=0.0,
        context=context,
    )
    adapter = adapter_for("edge")
    with pytest.raises(ProviderError) as timed_out:
        adapter.complete(request)  # no time at all: one batch is embedded, then the deadline stops the rest
    assert timed_out.value.kind == "timeout"
    cached = len(adapter._faq_vectors)
    assert cached == 32  # one batch
    answered = adapter.complete(replace(request, timeout_seconds=60.0)).output
    assert answered["sources"] == ["faq-7"] and len(adapter._faq_vectors) == 2 * len(entries)
