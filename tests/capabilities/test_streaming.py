"""POST /complete streamed as Server-Sent Events, through the real OpenAI SDK against the fake
OpenAI server speaking its streaming wire format: deltas, exactly one completed or error event,
silent fallback before the first byte, no clean end on a broken answer, moderation and PII
restoration on what is streamed, drafts of gated capabilities, and every pipeline guarantee."""

from __future__ import annotations

import json

import pytest

import guardrails
from capabilities.models import Capability, IdempotencyRecord, InferenceRecord, ModerationBlock
from capabilities.pipeline import circuit_breakers
from capabilities.selectors import CATALOG_CACHE
from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.tenancy.models import Tenant
from melmastoon_ai.tenancy.selectors import CREDENTIAL_CACHE
from routing.breakers import CircuitBreakers
from routing.models import Model

pytestmark = pytest.mark.django_db
URL = "/api/v1/ai/complete"
SSE = "text/event-stream"


@pytest.fixture(autouse=True)
def _loopback(loopback_only):
    pass


@pytest.fixture
def openai_first(providers_from_settings, catalog, tenant_a):
    """The streamable capabilities ask gpt-4o-mini (OpenAI) first, then their catalog chain."""
    Tenant.objects.filter(pk=tenant_a.pk).update(rate_limit_per_minute=100_000, cache_enabled=False)
    gpt = Model.objects.get(name="gpt-4o-mini")
    for capability in Capability.objects.filter(pk__in=["tutor.answer", "message.draft", "description.generate"]):
        capability.fallback_chain = [capability.default_model.name, *capability.fallback_chain]
        capability.default_model = gpt
        capability.save()
    CATALOG_CACHE.invalidate()
    circuit_breakers.cache_clear()
    breakers = CircuitBreakers()
    keys = [breakers.key(kind) for kind in ("vertex", "anthropic", "openai")]
    breakers._client.delete(*keys)
    yield providers_from_settings
    breakers._client.delete(*keys)
    CATALOG_CACHE.invalidate()
    circuit_breakers.cache_clear()


def events_of(response) -> list[tuple[str, dict]]:
    assert response.status_code == 200, response.content[:300] if not response.streaming else ""
    assert response["Content-Type"].startswith(SSE)
    raw = b"".join(response.streaming_content).decode()
    events = []
    for block in raw.split("\n\n"):
        if not block.strip():
            continue
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def example(capability_id: str) -> dict:
    return Capability.objects.get(pk=capability_id).examples[0]


def stream(client, capability_id="tutor.answer", payload=None, **headers):
    body = {
        "capability": capability_id,
        "input": payload or example(capability_id),
        "context": {"feature": "stream-test", "locale": "en"},
    }
    return client.post(URL, body, format="json", HTTP_ACCEPT=SSE, **headers)


def kinds(events) -> list[str]:
    return [kind for kind, _ in events]


def streamed_text(events) -> str:
    return "".join(data["text"] for kind, data in events if kind == "delta")


def inference_count(tenant) -> int:
    with tenant_context(tenant.id):
        return InferenceRecord.objects.count()


def test_the_answer_streams_as_deltas_then_one_completed_event(client_a, openai_first, openai_fake, tenant_a):
    events = events_of(stream(client_a))
    assert kinds(events).count("completed") == 1 and kinds(events)[-1] == "completed"
    assert kinds(events).count("delta") >= 2  # sentence by sentence, not one block at the end
    completed = events[-1][1]
    assert streamed_text(events) == completed["output"]["answer"]
    assert completed["provenance"]["provider"] == "openai" and completed["provenance"]["tokens"]["output"] > 0
    assert openai_fake.received[-1].body["stream"] is True
    assert openai_fake.received[-1].body["stream_options"] == {"include_usage": True}
    assert all(data["field"] == "answer" and data["draft"] is False for kind, data in events if kind == "delta")
    with tenant_context(tenant_a.id):
        assert InferenceRecord.objects.get(pk=completed["id"]).output == completed["output"]


def test_stream_true_in_the_body_streams_as_the_accept_header_does(client_a, openai_first, openai_fake):
    body = {"capability": "tutor.answer", "input": example("tutor.answer"), "stream": True}
    events = events_of(client_a.post(URL, body, format="json"))
    assert kinds(events)[-1] == "completed" and "delta" in kinds(events)


def test_a_provider_failing_before_its_first_byte_is_skipped_silently(client_a, openai_first, openai_fake):
    openai_fake.script(times=None, status=503)
    events = events_of(stream(client_a))
    assert kinds(events)[-1] == "completed" and "error" not in kinds(events)
    attempts = events[-1][1]["provenance"]["attempts"]
    assert (attempts[0]["provider"], attempts[0]["outcome"]) == ("openai", "error")
    assert events[-1][1]["provenance"]["provider"] != "openai"
    assert streamed_text(events) == events[-1][1]["output"]["answer"]


@pytest.mark.parametrize("failure", [{"truncated": True}, {"stream_error": True}])
def test_a_provider_breaking_off_mid_stream_ends_with_an_error_event(
    client_a, openai_first, openai_fake, tenant_a, failure
):
    openai_fake.script(times=2, **failure)  # provider moderation's call, then the chat stream
    events = events_of(stream(client_a))
    assert kinds(events)[-1] == "error" and "completed" not in kinds(events)
    error = events[-1][1]["error"]
    assert error["code"] == "stream_interrupted" and error["details"]["reason"] == "interrupted"
    assert error["details"]["attempts"][0]["outcome"] == "interrupted"
    assert inference_count(tenant_a) == 0  # no record of a truncated answer


def test_a_failed_stream_gives_back_its_idempotency_key(client_a, openai_first, openai_fake, tenant_a):
    openai_fake.script(times=2, truncated=True)
    assert kinds(events_of(stream(client_a, HTTP_IDEMPOTENCY_KEY="retry-me")))[-1] == "error"
    with tenant_context(tenant_a.id):
        assert not IdempotencyRecord.objects.filter(key="retry-me").exists()
    again = events_of(stream(client_a, HTTP_IDEMPOTENCY_KEY="retry-me"))
    assert kinds(again)[-1] == "completed"
    replayed = stream(client_a, HTTP_IDEMPOTENCY_KEY="retry-me")
    assert replayed["Idempotent-Replayed"] == "true"
    assert events_of(replayed)[-1][1]["id"] == again[-1][1]["id"]
    assert inference_count(tenant_a) == 1


def test_a_streamed_answer_that_fails_its_schema_ends_with_an_error(client_a, openai_first, openai_fake, tenant_a):
    openai_fake.script(times=2, output={"answer": "Breakfast is served from seven. It ends at ten.", "locale": "en"})
    events = events_of(stream(client_a))
    assert kinds(events)[-1] == "error" and events[-1][1]["error"]["code"] == "stream_output_invalid"
    assert inference_count(tenant_a) == 0


def test_output_moderation_stops_the_stream_at_the_sentence_it_blocks(client_a, openai_first, openai_fake, tenant_a):
    leaked = {
        "answer": "Breakfast is served from seven. Write to leaked.guest@example.com for a table. Enjoy.",
        "sources": [],
        "confidence": 0.9,
        "locale": "en",
    }
    openai_fake.script(times=2, output=leaked)
    events = events_of(stream(client_a))
    assert streamed_text(events) == "Breakfast is served from seven. "
    assert "leaked.guest" not in json.dumps(events)
    assert events[-1][1]["error"]["code"] == "content_blocked"
    with tenant_context(tenant_a.id):
        assert ModerationBlock.objects.filter(capability="tutor.answer").count() == 1
    assert inference_count(tenant_a) == 0


def test_the_callers_own_values_are_restored_in_what_is_streamed(client_a, openai_first, openai_fake, tenant_a):
    payload = example("message.draft") | {"contact_phone": "+93 70 123 4567"}
    mapping = guardrails.screen_input(payload, locale="en", country=tenant_a.country).mapping
    placeholder = next(key for key, value in mapping.items() if value == "+93 70 123 4567")
    answer = events_of(stream(client_a, "message.draft", payload))[-1][1]["output"]
    answer["body"] = f"Thank you for your booking. Call {placeholder} any time. We look forward to your stay."
    openai_fake.script(times=2, output=answer)  # the model repeats the placeholder it was given
    events = events_of(stream(client_a, "message.draft", payload))
    assert "123 4567" not in json.dumps(openai_fake.received[-1].body)  # the provider saw a placeholder
    assert kinds(events)[-1] == "completed"
    assert "Call +93 70 123 4567 any time. " in streamed_text(events) and placeholder not in streamed_text(events)
    assert streamed_text(events) == events[-1][1]["output"]["body"]


def test_a_gated_capability_streams_its_draft_marked_as_a_draft(client_a, openai_first, openai_fake):
    events = events_of(stream(client_a, "message.draft"))
    deltas = [data for kind, data in events if kind == "delta"]
    assert deltas and all(delta["draft"] is True and delta["field"] == "body" for delta in deltas)
    assert events[-1][1]["hitl"]["status"] == "pending"


def test_a_cache_hit_streams_the_whole_answer_then_completed(
    client_a, openai_first, openai_fake, tenant_a, django_capture_on_commit_callbacks
):
    Tenant.objects.filter(pk=tenant_a.pk).update(cache_enabled=True)
    with django_capture_on_commit_callbacks(execute=True):
        first = events_of(stream(client_a))
    calls = len(openai_fake.received)
    hit = events_of(stream(client_a))
    assert len(openai_fake.received) == calls
    assert hit[-1][1]["provenance"]["cache_hit"] is True
    assert kinds(hit) == ["delta", "completed"] and streamed_text(hit) == first[-1][1]["output"]["answer"]


def test_errors_before_the_stream_starts_are_json_with_their_status(client_a, anon_client, openai_first):
    bad = client_a.post(URL, {"capability": "tutor.answer", "input": {"question": ""}}, format="json", HTTP_ACCEPT=SSE)
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "input_schema_violation")
    unsupported = client_a.post(
        URL, {"capability": "pricing.suggest", "input": example("pricing.suggest")}, format="json", HTTP_ACCEPT=SSE
    )
    assert (unsupported.status_code, unsupported.json()["error"]["code"]) == (400, "streaming_unsupported")
    anonymous = anon_client.post(
        URL, {"capability": "tutor.answer", "input": example("tutor.answer")}, format="json", HTTP_ACCEPT=SSE
    )
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthenticated"


def test_a_streamed_inference_is_not_readable_by_another_tenant(client_a, client_b, openai_first):
    inference_id = events_of(stream(client_a))[-1][1]["id"]
    assert client_b.get(f"/api/v1/ai/inferences/{inference_id}").status_code == 404
    assert client_a.get(f"/api/v1/ai/inferences/{inference_id}").status_code == 200


@pytest.fixture
def catalog_chain(providers_from_settings, catalog, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(rate_limit_per_minute=100_000, cache_enabled=False)
    circuit_breakers.cache_clear()
    yield providers_from_settings
    circuit_breakers.cache_clear()


def test_the_catalog_chain_streams_through_vertex(client_a, catalog_chain, vertex_fake):
    events = events_of(stream(client_a, "description.generate"))
    assert kinds(events)[-1] == "completed" and kinds(events).count("delta") >= 2
    assert events[-1][1]["provenance"]["provider"] == "vertex"
    assert vertex_fake.received[-1].path.split("?")[0].endswith(":streamGenerateContent")
    assert streamed_text(events) == events[-1][1]["output"]["body"]


def test_a_vertex_error_event_mid_stream_ends_with_an_error_event(client_a, catalog_chain, vertex_fake):
    vertex_fake.script(stream_error=True)
    events = events_of(stream(client_a, "description.generate"))
    assert kinds(events)[-1] == "error" and events[-1][1]["error"]["code"] == "stream_interrupted"
    assert "completed" not in kinds(events)


def test_an_input_held_for_review_streams_its_answer_as_a_draft(client_a, openai_first, openai_fake, tenant_a):
    """harm_high in the review band (under this tenant's 0.99): answered, every delta marked as a
    draft, and the completed event carries the gate that holds it."""
    Tenant.objects.filter(pk=tenant_a.pk).update(moderation_thresholds={"harm_high": 0.99})
    CREDENTIAL_CACHE.invalidate()
    try:
        events = events_of(
            stream(client_a, payload={"question": "I will burn this hotel down tonight", "locale": "en"})
        )
    finally:
        CREDENTIAL_CACHE.invalidate()
    completed = events[-1][1]
    assert kinds(events)[-1] == "completed" and completed["hitl"]["status"] == "pending"
    deltas = [data for kind, data in events if kind == "delta"]
    assert deltas and all(data["draft"] is True for data in deltas)
    assert completed["provenance"]["safety"]["input_review"] == ["harm_high"]
