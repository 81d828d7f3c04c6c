"""`Prefer: respond-async` on /complete (docs/api.md): 202 with an id at once, the pipeline run
by the Celery task, the answer at GET /api/v1/ai/inferences/{id} under that same id."""

from __future__ import annotations

import uuid

import pytest

from capabilities import async_inference
from capabilities.async_inference import prefers_async
from capabilities.models import AsyncInference, InferenceRecord
from capabilities.tasks import run_async_inference
from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.tenancy.context import tenant_context

pytestmark = pytest.mark.django_db
URL = "/api/v1/ai/complete"
TUTOR = {"capability": "tutor.answer", "input": {"question": "When is breakfast served?", "locale": "en"}}


@pytest.fixture
def queued(monkeypatch):
    sent = []
    monkeypatch.setattr(async_inference, "_enqueue", lambda async_id, tenant_id: sent.append((async_id, tenant_id)))
    return sent


def _submit(client, body=TUTOR, **headers):
    return client.post(URL, body, format="json", HTTP_PREFER="respond-async", **headers)


@pytest.mark.parametrize(
    "header, wanted",
    [
        ("respond-async", True),
        ("wait=10, respond-async", True),
        ("Respond-Async; foo=1", True),
        ("return=minimal", False),
        ("", False),
        ("respond-asynchronously", False),
    ],
)
def test_the_prefer_header_is_read_as_rfc_7240_preferences(header, wanted):
    assert prefers_async(header) is wanted


def test_accepted_at_once_run_by_the_task_and_read_under_the_same_id(
    client_a, tenant_a, catalog, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(client_a)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending" and response["Preference-Applied"] == "respond-async"
    assert response["Location"] == f"/api/v1/ai/inferences/{body['id']}"
    assert [str(async_id) for async_id, _ in queued] == [body["id"]]  # queued once, after commit
    with tenant_context(tenant_a.id):
        assert not InferenceRecord.objects.exists()  # nothing ran in the request
    pending = client_a.get(f"/api/v1/ai/inferences/{body['id']}")
    assert pending.status_code == 200 and pending.json()["status"] == "pending"

    assert run_async_inference(body["id"], str(tenant_a.id)) == "completed"
    done = client_a.get(f"/api/v1/ai/inferences/{body['id']}").json()
    assert (done["status"], done["id"], done["capability"]) == ("completed", body["id"], "tutor.answer")
    assert done["output"]["answer"] and done["provenance"]["provider"]
    with tenant_context(tenant_a.id):
        assert OutboxEvent.objects.filter(topic="inference.completed", key=body["id"]).count() == 1
        row = AsyncInference.objects.get(pk=body["id"])
    assert row.status == "completed" and row.request is None  # the caller's input is not kept
    # a redelivered task repeats nothing
    assert run_async_inference(body["id"], str(tenant_a.id)) == "skipped"
    with tenant_context(tenant_a.id):
        assert InferenceRecord.objects.filter(pk=body["id"]).count() == 1


def test_a_task_redelivered_after_the_record_was_written_only_finishes_the_request(client_a, tenant_a, catalog, queued):
    accepted = _submit(client_a).json()
    assert run_async_inference(accepted["id"], str(tenant_a.id)) == "completed"
    with tenant_context(tenant_a.id):  # as if the worker died between the record and the row's update
        AsyncInference.objects.filter(pk=accepted["id"]).update(status="running", claimed_until=None)
    assert run_async_inference(accepted["id"], str(tenant_a.id)) == "completed"
    with tenant_context(tenant_a.id):
        assert InferenceRecord.objects.filter(pk=accepted["id"]).count() == 1


def test_the_same_idempotency_key_returns_the_request_already_accepted(client_a, tenant_a, catalog, queued):
    first = _submit(client_a, HTTP_IDEMPOTENCY_KEY="order-77")
    again = _submit(client_a, HTTP_IDEMPOTENCY_KEY="order-77")
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    with tenant_context(tenant_a.id):
        assert AsyncInference.objects.count() == 1


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"capability": "tutor.answer", "input": {"question": ""}}, 422, "input_schema_violation"),
        ({"capability": "no.such", "input": {}}, 404, "unknown_capability"),
    ],
)
def test_bad_input_is_refused_before_anything_is_stored(client_a, tenant_a, catalog, queued, body, status, code):
    response = _submit(client_a, body)
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert queued == []
    with tenant_context(tenant_a.id):
        assert not AsyncInference.objects.exists()


def test_async_and_a_streamed_answer_cannot_be_combined(client_a, tenant_a, catalog, queued):
    response = _submit(client_a, TUTOR | {"stream": True})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_request"
    with tenant_context(tenant_a.id):
        assert not AsyncInference.objects.exists()


def test_a_run_the_pipeline_refuses_is_failed_with_its_error_and_an_event(
    client_a, tenant_a, catalog, queued, monkeypatch
):
    accepted = _submit(client_a).json()

    def refuse(completion, *, tenant):  # fault injection: what the pipeline raises for a blocked answer
        raise ApplicationError(
            "Blocked by moderation.", code="content_blocked", status=422, details={"stage": "output"}
        )

    monkeypatch.setattr(async_inference, "complete", refuse)
    assert run_async_inference(accepted["id"], str(tenant_a.id)) == "failed"
    failed = client_a.get(f"/api/v1/ai/inferences/{accepted['id']}").json()
    assert failed["status"] == "failed" and failed["error"]["code"] == "content_blocked"
    with tenant_context(tenant_a.id):
        event = OutboxEvent.objects.get(topic="inference.failed", key=accepted["id"])
        assert AsyncInference.objects.get(pk=accepted["id"]).request is None
    assert event.payload["error"] == {"code": "content_blocked"}


def test_another_tenant_cannot_read_an_accepted_request(client_a, client_b, tenant_a, catalog, queued):
    accepted = _submit(client_a).json()
    assert client_b.get(f"/api/v1/ai/inferences/{accepted['id']}").status_code == 404
    assert client_a.get(f"/api/v1/ai/inferences/{uuid.uuid4()}").status_code == 404
