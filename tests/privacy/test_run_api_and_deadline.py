"""The erasure's run (claimed once, resumed after an interruption, queued again by the sweep), the
7-day deadline alert, the API (scope ai:admin, own tenant only, contract errors), the command and
the admin action."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from capabilities.models import InferenceRecord
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.tenancy.context import platform_access, tenant_context
from privacy import services
from privacy.models import ErasureRequest
from privacy.services import erasure_request_create, erasure_run, erasure_sweep
from tests.factories import ApiKeyFactory

pytestmark = pytest.mark.django_db


def answer_for(client, subject_ref: str) -> str:
    response = client.post(
        "/api/v1/ai/complete",
        {
            "capability": "pricing.suggest",
            "context": {"feature": "pricing", "subject_ref": subject_ref},
            "input": {"bar": {"amount": 120, "currency": "EUR"}, "occupancy_pct": 88, "stay_date": "2027-03-14"},
        },
        format="json",
    )
    assert response.status_code == 200, response.content[:300]
    return response.json()["id"]


def stored(tenant, erasure_id) -> ErasureRequest:
    with tenant_context(tenant.id):
        return ErasureRequest.objects.get(tenant_id=tenant.id, pk=erasure_id)


def test_an_interrupted_run_resumes_at_the_step_it_did_not_finish(client_a, tenant_a, catalog, monkeypatch):
    inference_id = answer_for(client_a, "guest-1")
    erasure = erasure_request_create(
        tenant=tenant_a, identifiers=[("subject_ref", "guest-1")], requested_by="test", enqueue=False
    )
    steps = dict(services.STEPS)

    def worker_dies(request):
        raise ConnectionError("the worker lost Redis half-way")

    monkeypatch.setattr(
        services,
        "STEPS",
        tuple((name, worker_dies if name == "response_cache" else step) for name, step in steps.items()),
    )
    with pytest.raises(ConnectionError):
        erasure_run(erasure_id=erasure.id, tenant_id=tenant_a.id)
    halfway = stored(tenant_a, erasure.id)
    assert halfway.status == "running" and halfway.claimed_until is None  # given up: a retry may claim it at once
    assert halfway.steps_done == ["collect", "hitl", "idempotency", "outbox", "usage", "rag"]
    assert halfway.last_error == "response_cache: ConnectionError"
    assert halfway.identifiers == [{"kind": "subject_ref", "value": "guest-1"}]
    with tenant_context(tenant_a.id):  # the last step (the record itself) has not run
        assert InferenceRecord.objects.get(tenant_id=tenant_a.id, pk=inference_id).context["subject_ref"] == "guest-1"

    monkeypatch.setattr(services, "STEPS", tuple(steps.items()))
    assert erasure_run(erasure_id=erasure.id, tenant_id=tenant_a.id) == "completed"
    done = stored(tenant_a, erasure.id)
    assert done.attempts == 2 and done.counts["outbox"] == halfway.counts["outbox"]  # done steps were not redone
    assert done.steps_done[-2:] == ["response_cache", "inferences"] and done.counts["inferences"]["erased"] == 1
    with tenant_context(tenant_a.id):
        assert InferenceRecord.objects.get(tenant_id=tenant_a.id, pk=inference_id).context == {}


def test_a_run_held_by_a_live_worker_is_left_to_it_and_the_sweep_requeues_it_once_the_claim_lapses(
    tenant_a, monkeypatch, django_capture_on_commit_callbacks
):
    erasure = erasure_request_create(
        tenant=tenant_a, identifiers=[("email", "a@example.org")], requested_by="test", enqueue=False
    )
    held = timezone.now() + dt.timedelta(minutes=5)
    with tenant_context(tenant_a.id):
        ErasureRequest.objects.filter(tenant_id=tenant_a.id, pk=erasure.pk).update(status="running", claimed_until=held)
    assert erasure_run(erasure_id=erasure.id, tenant_id=tenant_a.id) == "running"
    assert stored(tenant_a, erasure.id).steps_done == []

    queued = []
    monkeypatch.setattr(services, "erasure_enqueue", lambda **kwargs: queued.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True), platform_access(actor="test", reason="sweep"):
        assert erasure_sweep()["queued"] == 0
    with tenant_context(tenant_a.id):  # the worker was killed: its claim lapses
        ErasureRequest.objects.filter(tenant_id=tenant_a.id, pk=erasure.pk).update(
            claimed_until=timezone.now() - dt.timedelta(seconds=1)
        )
    with django_capture_on_commit_callbacks(execute=True), platform_access(actor="test", reason="sweep"):
        assert erasure_sweep()["queued"] == 1
    assert queued == [{"erasure_id": str(erasure.id), "tenant_id": str(tenant_a.id)}]
    assert erasure_run(**queued[0]) == "completed"


def test_an_erasure_past_its_deadline_raises_the_overdue_event_once(tenant_a, tenant_b, settings):
    late = erasure_request_create(
        tenant=tenant_a, identifiers=[("name", "Roya Karimi")], requested_by="test", enqueue=False
    )
    on_time = erasure_request_create(
        tenant=tenant_b, identifiers=[("name", "Roya Karimi")], requested_by="test", enqueue=False
    )
    assert (
        late.due_at - late.requested_at
        == dt.timedelta(days=settings.PRIVACY_ERASURE_DEADLINE_DAYS)
        == dt.timedelta(days=7)
    )
    with tenant_context(tenant_a.id):
        ErasureRequest.objects.filter(tenant_id=tenant_a.id, pk=late.pk).update(
            due_at=timezone.now() - dt.timedelta(hours=2)
        )
    for _ in range(2):
        with platform_access(actor="test", reason="sweep"):
            erasure_sweep()
    with platform_access(actor="test", reason="read"):
        alerts = list(OutboxEvent.objects.filter(topic="privacy.erasure_overdue"))
    assert [(alert.tenant_id, alert.key) for alert in alerts] == [(tenant_a.id, str(late.id))]
    assert alerts[0].payload["overdue_seconds"] >= 7200 and "Roya" not in json.dumps(alerts[0].payload)
    assert stored(tenant_b, on_time.id).overdue_alerted_at is None


def test_the_api_asks_for_an_erasure_and_reports_it_without_the_identifier(
    client_a, client_b, tenant_a, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(services, "erasure_enqueue", lambda **kwargs: queued.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(
            "/api/v1/ai/privacy/erasures", {"emails": ["roya@example.org"], "names": ["Roya Karimi"]}, format="json"
        )
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending" and body["identifier_kinds"] == ["email", "name"]
    assert "roya" not in response.content.decode()
    assert queued == [{"erasure_id": body["id"], "tenant_id": str(tenant_a.id)}]
    erasure_run(**queued[0])
    detail = client_a.get(f"/api/v1/ai/privacy/erasures/{body['id']}").json()
    assert detail["status"] == "completed" and detail["overdue"] is False and set(detail["stores"]) >= {"inferences"}
    assert [row["id"] for row in client_a.get("/api/v1/ai/privacy/erasures").json()] == [body["id"]]
    # another tenant sees none of it
    assert client_b.get(f"/api/v1/ai/privacy/erasures/{body['id']}").status_code == 404
    assert client_b.get("/api/v1/ai/privacy/erasures").json() == []


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"emails": [], "names": []},
        {"emails": ["no-at-sign"]},
        {"phones": ["12345"]},
        {"names": ["  a "]},
        {"names": "Roya Karimi"},
        {"names": [5]},
        {"emails": ["ok@example.org"], "phones": ["+93 70"]},
        {"subject_refs": [f"guest-{n}" for n in range(21)]},
    ],
)
def test_a_bad_request_is_a_contract_error_and_records_nothing(client_a, tenant_a, payload):
    response = client_a.post("/api/v1/ai/privacy/erasures", payload, format="json")
    assert response.status_code == 400 and "error" in response.json()
    with tenant_context(tenant_a.id):
        assert not ErasureRequest.objects.filter(tenant_id=tenant_a.id).exists()


def test_the_api_needs_the_admin_scope(client_for, tenant_a):
    invoker = client_for(ApiKeyFactory(tenant=tenant_a, scopes=["ai:invoke", "ai:review"]).raw)
    assert invoker.post("/api/v1/ai/privacy/erasures", {"emails": ["a@b.org"]}, format="json").status_code == 403
    assert invoker.get("/api/v1/ai/privacy/erasures").status_code == 403


def test_the_command_erases_and_prints_counts_only(client_a, tenant_a, catalog):
    answer_for(client_a, "guest-42")
    out = StringIO()
    call_command("erase_subject", "--tenant", str(tenant_a.id), "--subject-ref", "guest-42", stdout=out)
    report = json.loads(out.getvalue())
    assert report["status"] == "completed" and report["stores"]["inferences"]["erased"] == 1
    assert "guest-42" not in out.getvalue()


def test_the_admin_action_queues_open_erasures(admin_client, tenant_a, monkeypatch):
    erasure = erasure_request_create(
        tenant=tenant_a, identifiers=[("email", "a@example.org")], requested_by="test", enqueue=False
    )
    queued = []
    monkeypatch.setattr("privacy.admin.erasure_enqueue", lambda **kwargs: queued.append(kwargs))
    response = admin_client.post(
        reverse("admin:privacy_erasurerequest_changelist"), {"action": "run_now", "_selected_action": [str(erasure.id)]}
    )
    assert response.status_code == 302
    assert queued == [{"erasure_id": str(erasure.id), "tenant_id": str(tenant_a.id)}]
    page = admin_client.get(reverse("admin:privacy_erasurerequest_change", args=[erasure.id])).content.decode()
    assert "a@example.org" not in page
