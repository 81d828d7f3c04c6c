"""The fake provider servers themselves: lifecycle, control endpoint, canned answers, wire formats, KMS.

Requests here are raw HTTP (stdlib), except Cloud KMS, which goes through the real
google-cloud-kms REST client; the adapters' SDK round trips are in tests/routing/providers.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import time
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import google_crc32c
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, utils
from django.core.management import call_command
from django.core.management.base import CommandError
from jsonschema import Draft202012Validator, FormatChecker

from capabilities.schemas import CAPABILITY_IDS, load_definition
from routing.fakes import FakeAnthropicServer, FakeKmsServer, FakeOpenAIServer, FakeVertexServer
from routing.fakes.answers import REFUSAL_TEXT, SCHEMA_INVALID_OUTPUT
from routing.fakes.gcs_server import FakeGcsServer
from routing.media import sniff
from routing.providers.common import CAPABILITY_HEADER

KEY_VERSION = "projects/fake-project/locations/europe-west1/keyRings/ring/cryptoKeys/manifests/cryptoKeyVersions/1"


def call(url: str, body: object = None, headers: dict | None = None) -> tuple[int, bytes]:
    """One raw HTTP request to a fake: GET without a body, POST with a JSON one."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        data = None if body is None else json.dumps(body).encode()
        connection.request(
            "GET" if data is None else "POST",
            parts.path,
            body=data,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def chat(server: FakeOpenAIServer, capability_id: str | None, prompt: str, schema: dict | None = None) -> tuple:
    body: dict = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt}]}
    if schema is not None:
        body["response_format"] = {"type": "json_schema", "json_schema": {"name": "out", "schema": schema}}
    headers = {CAPABILITY_HEADER: capability_id} if capability_id else {}
    return call(f"{server.base_url}/v1/chat/completions", body, headers)


@pytest.fixture(scope="module")
def openai_fake():
    with FakeOpenAIServer(hang_seconds=5) as server:
        yield server


@pytest.fixture(autouse=True)
def _clean(openai_fake):
    openai_fake.reset()


# --- lifecycle and control ----------------------------------------------------------------------


def test_fakes_listen_on_loopback_on_free_ports_and_stop():
    with FakeOpenAIServer() as first, FakeVertexServer() as second:
        assert first.base_url.startswith("http://127.0.0.1:") and first.port != second.port
        port = first.port
    with pytest.raises(ConnectionRefusedError):
        http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/")


def test_the_control_endpoint_scripts_the_next_responses(openai_fake):
    status, _ = call(f"{openai_fake.base_url}/__control__", {"times": 2, "status": 429})
    assert status == 200
    statuses = [chat(openai_fake, "tutor.answer", "{}")[0] for _ in range(3)]
    assert statuses == [429, 429, 200]


def test_a_standing_script_holds_for_every_response_until_reset(openai_fake):
    openai_fake.script(times=None, status=503)
    assert [chat(openai_fake, "tutor.answer", "{}")[0] for _ in range(3)] == [503, 503, 503]
    call(f"{openai_fake.base_url}/__control__", {"reset": True})
    assert chat(openai_fake, "tutor.answer", "{}")[0] == 200
    assert len(openai_fake.received) == 1  # reset forgot the earlier requests


@pytest.mark.parametrize("command", [{"status": 418}, {"hang": True, "surprise": 1}, {"times": 0, "status": 429}])
def test_the_control_endpoint_refuses_a_bad_script(openai_fake, command):
    status, body = call(f"{openai_fake.base_url}/__control__", command)
    assert status == 400 and json.loads(body)["error"]


def test_received_requests_are_recorded_and_listed_but_control_calls_are_not(openai_fake):
    chat(openai_fake, "tutor.answer", "hello")
    (sent,) = openai_fake.received
    assert (sent.method, sent.path, sent.headers[CAPABILITY_HEADER.lower()]) == (
        "POST",
        "/v1/chat/completions",
        "tutor.answer",
    )
    assert sent.body["messages"][0]["content"] == "hello"
    status, listing = call(f"{openai_fake.base_url}/__control__")
    assert status == 200 and [item["path"] for item in json.loads(listing)["received"]] == ["/v1/chat/completions"]


def test_latency_delays_the_answer(openai_fake):
    openai_fake.script(latency_ms=300)
    started = time.perf_counter()
    assert chat(openai_fake, "tutor.answer", "{}")[0] == 200
    assert time.perf_counter() - started >= 0.3


def test_a_malformed_body_is_not_json_and_a_truncated_one_breaks_off(openai_fake):
    openai_fake.script(malformed_json=True)
    status, body = chat(openai_fake, "tutor.answer", "{}")
    assert status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
    openai_fake.script(truncated=True)
    with pytest.raises(http.client.IncompleteRead):
        chat(openai_fake, "tutor.answer", "{}")


def test_a_hanging_response_never_arrives_within_the_client_timeout(openai_fake):
    openai_fake.script(hang=True)
    connection = http.client.HTTPConnection("127.0.0.1", openai_fake.port, timeout=0.3)
    connection.request("POST", "/v1/chat/completions", body=b"{}", headers={"Content-Type": "application/json"})
    with pytest.raises(TimeoutError):
        connection.getresponse()
    connection.close()


# --- canned answers -----------------------------------------------------------------------------


@pytest.mark.parametrize("capability_id", CAPABILITY_IDS)
def test_every_capability_is_answered_valid_against_its_output_schema(openai_fake, capability_id):
    definition = load_definition(capability_id)
    prompt = f"Input:\n{json.dumps(definition['examples'][-1])}\nAnswer in JSON."
    status, body = chat(openai_fake, capability_id, prompt)
    assert status == 200
    reply = json.loads(body)
    output = json.loads(reply["choices"][0]["message"]["content"])
    validator = Draft202012Validator(definition["output_schema"], format_checker=FormatChecker())
    assert not list(validator.iter_errors(output))
    assert reply["usage"]["prompt_tokens"] == len(prompt) // 4


def test_without_the_header_the_capability_comes_from_the_schema_title(openai_fake):
    schema = load_definition("message.draft")["output_schema"]
    status, body = chat(openai_fake, None, "no JSON input here", schema)
    output = json.loads(json.loads(body)["choices"][0]["message"]["content"])
    assert status == 200 and {"subject", "body", "locale"} <= set(output)


def test_an_unknown_capability_is_a_bad_request(openai_fake):
    assert chat(openai_fake, None, "what is this?")[0] == 400


def test_schema_invalid_and_refusal_answers(openai_fake):
    openai_fake.script(schema_invalid=True)
    body = json.loads(chat(openai_fake, "tutor.answer", "{}")[1])
    assert json.loads(body["choices"][0]["message"]["content"]) == SCHEMA_INVALID_OUTPUT
    openai_fake.script(refusal=True)
    message = json.loads(chat(openai_fake, "tutor.answer", "{}")[1])["choices"][0]["message"]
    assert (message["content"], message["refusal"]) == (None, REFUSAL_TEXT)


# --- the other wire formats ---------------------------------------------------------------------


def test_the_anthropic_fake_answers_a_tool_call_directly_and_on_the_vertex_path_and_errors_in_its_shape():
    body = {
        "model": "claude",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "{}"}],
        "tools": [{"name": "emit", "input_schema": load_definition("tutor.answer")["output_schema"]}],
        "tool_choice": {"type": "tool", "name": "emit"},
    }
    with FakeAnthropicServer() as server:
        status, reply = call(f"{server.base_url}/v1/messages", body)
        message = json.loads(reply)
        assert status == 200 and message["stop_reason"] == "tool_use"
        assert message["content"][0]["name"] == "emit" and "answer" in message["content"][0]["input"]
        assert message["usage"]["input_tokens"] > 0
        partner_path = "/v1/projects/p/locations/europe-west1/publishers/anthropic/models/claude-x@1:rawPredict"
        status, reply = call(f"{server.base_url}{partner_path}", {k: v for k, v in body.items() if k != "model"})
        assert status == 200 and json.loads(reply)["model"] == "claude-x@1-fake"
        server.script(status=529)
        status, reply = call(f"{server.base_url}/v1/messages", body)
        assert status == 529 and json.loads(reply)["error"]["type"] == "overloaded_error"


def test_the_vertex_fake_answers_gemini_embeddings_and_a_safety_block():
    path = "/v1/projects/p/locations/europe-west1/publishers/google/models"
    body = {
        "contents": [{"role": "user", "parts": [{"text": "{}"}]}],
        "generationConfig": {
            "responseMimeType": "application/json",
            "responseJsonSchema": load_definition("tutor.answer")["output_schema"],
        },
    }
    with FakeVertexServer() as server:
        reply = json.loads(call(f"{server.base_url}{path}/gemini-1.5-flash:generateContent", body)[1])
        assert "answer" in json.loads(reply["candidates"][0]["content"]["parts"][0]["text"])
        assert reply["usageMetadata"]["promptTokenCount"] >= 1 and reply["candidates"][0]["safetyRatings"]
        embedded = json.loads(
            call(f"{server.base_url}{path}/text-embedding-004:predict", {"instances": [{"content": "sea view"}]})[1]
        )
        assert len(embedded["predictions"][0]["embeddings"]["values"]) == 768
        server.script(refusal=True)
        blocked = json.loads(call(f"{server.base_url}{path}/gemini-1.5-flash:generateContent", body)[1])
        assert blocked["candidates"][0]["finishReason"] == "SAFETY"


def test_the_kms_fake_signs_with_rsa_pss_through_the_real_rest_client():
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import kms

    digest = hashlib.sha256(b"manifest body").digest()
    with FakeKmsServer() as server:
        client = kms.KeyManagementServiceClient(
            transport="rest",
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=server.base_url),
        )
        public = client.get_public_key(request={"name": KEY_VERSION})
        signed = client.asymmetric_sign(
            request={"name": KEY_VERSION, "digest": {"sha256": digest}, "digest_crc32c": google_crc32c.value(digest)}
        )
    assert public.algorithm == kms.CryptoKeyVersion.CryptoKeyVersionAlgorithm.RSA_SIGN_PSS_2048_SHA256
    assert public.pem_crc32c == google_crc32c.value(public.pem.encode())
    assert signed.verified_digest_crc32c and signed.signature_crc32c == google_crc32c.value(signed.signature)
    key = serialization.load_pem_public_key(public.pem.encode())
    key.verify(
        signed.signature,
        digest,
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
        utils.Prehashed(hashes.SHA256()),
    )


@pytest.mark.parametrize(
    "digest, checksum",
    [
        (hashlib.sha256(b"manifest body").digest(), "1"),  # the checksum does not match
        (b"short", None),  # not a SHA-256 digest
    ],
)
def test_the_kms_fake_refuses_a_bad_digest(digest, checksum):
    body = {"digest": {"sha256": base64.b64encode(digest).decode()}}
    if checksum is not None:
        body["digestCrc32c"] = checksum
    with FakeKmsServer() as server:
        assert call(f"{server.base_url}/v1/{KEY_VERSION}:asymmetricSign", body)[0] == 400


# --- the management command ---------------------------------------------------------------------


def test_the_fake_providers_command_prints_the_environment_and_stops():
    out = StringIO()
    call_command("fake_providers", "--base-port", "0", "--seconds", "0.2", stdout=out)
    exports = dict(
        line.removeprefix("export ").split("=", 1) for line in out.getvalue().splitlines() if line.startswith("export ")
    )
    assert {
        "OPENAI_BASE_URL",
        "OPENAI_API_KEY",
        "ANTHROPIC_BASE_URL",
        "ANTHROPIC_API_KEY",
        "VERTEX_BASE_URL",
        "VERTEX_PROJECT",
        "VERTEX_LOCATION",
        "VERTEX_ACCESS_TOKEN",
    } <= set(exports)
    assert {
        "DOCUMENT_AI_ENDPOINT",
        "SPEECH_ENDPOINT",
        "TRANSLATION_ENDPOINT",
        "VISION_ENDPOINT",
        "GCS_ENDPOINT",
        "DOCUMENT_AI_PROCESSOR",
    } <= set(exports)
    assert all(
        exports[name].startswith("http://127.0.0.1:") for name in exports if name.endswith(("_BASE_URL", "_ENDPOINT"))
    )
    port = int(exports["VERTEX_BASE_URL"].rsplit(":", 1)[1])
    with pytest.raises(ConnectionRefusedError):
        http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/")


GOLDEN = Path(__file__).resolve().parents[2] / "evals" / "golden"


def test_the_command_puts_samples_of_the_golden_sets_media_into_the_cloud_storage_fake():
    from routing.management.commands.fake_providers import referenced_objects

    golden = [str(GOLDEN / "ocr.id_scan.jsonl"), str(GOLDEN / "stt.transcribe.jsonl")]
    refs = referenced_objects(golden)
    assert len(refs) == 10 and {ref.split("://")[0] for ref in refs} == {"gcs", "gs"}
    out = StringIO()
    call_command("fake_providers", "--base-port", "0", "--seconds", "0.2", "--sample-objects", *golden, stdout=out)
    assert "# Cloud Storage fake: 10 sample objects for the golden references" in out.getvalue()
    exports = dict(
        line.removeprefix("export ").split("=", 1) for line in out.getvalue().splitlines() if line.startswith("export ")
    )
    buckets = set(exports["MEDIA_GCS_BUCKETS"].split(","))
    assert {ref.split("/")[2] for ref in refs} <= buckets  # every referenced bucket may be read
    with pytest.raises(CommandError, match="cannot read"):
        call_command("fake_providers", "--seconds", "0", "--sample-objects", "no/such/file.jsonl")


def test_a_sample_object_is_made_by_its_extension_and_is_what_it_says():
    fake = FakeGcsServer()
    fake.put_sample("gs://melmastoon-voice/eval/note.wav")
    fake.put_sample("gcs://melmastoon-guest-docs/eval/scan.jpg")
    stored = {name: (sniff(data), content_type) for (_, name), (data, content_type, _) in fake._objects.items()}
    assert stored == {"eval/note.wav": ("audio/wav", "audio/wav"), "eval/scan.jpg": ("image/jpeg", "image/jpeg")}
    with pytest.raises(ValueError, match="no sample media"):
        fake.put_sample("gs://melmastoon-voice/eval/note.txt")
