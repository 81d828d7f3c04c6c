"""Human-review gates: opened per the capability's rule, decided once, swept by SLA, tenant-scoped."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import DatabaseError, connection, transaction

from capabilities.models import Capability
from hitl.models import HitlDecision, HitlGate
from hitl.services import hitl_sweep
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.tenancy.context import platform_access, tenant_context
from tests.factories import ApiKeyFactory

pytestmark = pytest.mark.django_db


def complete(client, capability_id, payload=None):
    payload = payload or Capability.objects.get(pk=capability_id).examples[0]
    response = client.post("/api/v1/ai/complete", {"capability": capability_id, "input": payload}, format="json")
    assert response.status_code == 200, response.content[:300]
    return response.json()


def test_message_drafts_always_open_a_gate(client_a, tenant_a, catalog):
    body = complete(client_a, "message.draft")
    gate = body["hitl"]
    assert gate["status"] == "pending" and gate["reason"] == "always reviewed by a human"
    with tenant_context(tenant_a.id):
        stored = HitlGate.objects.get(pk=gate["gate_id"])
        assert stored.sla_due_at - stored.opened_at == dt.timedelta(minutes=30)
        assert OutboxEvent.objects.filter(topic="hitl.gate_opened", key=gate["gate_id"]).exists()
    assert client_a.get(f"/api/v1/ai/inferences/{body['id']}").json()["hitl"]["gate_id"] == gate["gate_id"]


def test_pricing_opens_a_gate_only_beyond_five_percent_deviation(client_a, catalog):
    calm = complete(
        client_a,
        "pricing.suggest",
        {
            "bar": {"amount": 100, "currency": "EUR"},
            "occupancy_pct": 50,
            "stay_date": "2027-03-14",
            "lead_time_days": 30,
        },
    )
    busy = complete(
        client_a,
        "pricing.suggest",
        {
            "bar": {"amount": 100, "currency": "EUR"},
            "occupancy_pct": 97,
            "stay_date": "2027-03-14",
            "lead_time_days": 2,
        },
    )
    assert abs(calm["output"]["deviation_pct"]) <= 5 and calm["hitl"] is None
    assert abs(busy["output"]["deviation_pct"]) > 5 and busy["hitl"]["status"] == "pending"


def test_upsell_never_opens_a_gate(client_a, catalog):
    assert complete(client_a, "upsell.recommend")["hitl"] is None


def test_approve_records_one_decision_and_emits_its_id(client_a, tenant_a, catalog):
    gate_id = complete(client_a, "message.draft")["hitl"]["gate_id"]
    response = client_a.post(
        f"/api/v1/ai/hitl/gates/{gate_id}/decision", {"decision": "approve", "comment": "ok"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "approved" and body["decision"]["decision"] == "approve"
    with tenant_context(tenant_a.id):
        event = OutboxEvent.objects.get(topic="hitl.decided", key=gate_id)
    assert event.payload["decision_id"] == body["decision"]["decision_id"]
    again = client_a.post(f"/api/v1/ai/hitl/gates/{gate_id}/decision", {"decision": "reject"}, format="json")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "conflict")


def test_an_edit_must_match_the_output_schema(client_a, catalog):
    body = complete(client_a, "message.draft")
    gate_id = body["hitl"]["gate_id"]
    bad = client_a.post(
        f"/api/v1/ai/hitl/gates/{gate_id}/decision",
        {"decision": "edit", "edited_output": {"subject": 5}},
        format="json",
    )
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "input_schema_violation")
    edited = dict(body["output"], body="Dear guest, your room is ready at 14:00.")
    good = client_a.post(
        f"/api/v1/ai/hitl/gates/{gate_id}/decision", {"decision": "edit", "edited_output": edited}, format="json"
    )
    assert good.status_code == 200 and good.json()["status"] == "edited"


def test_an_edit_is_checked_against_the_schema_the_draft_was_made_with(
    client_a, tenant_a, catalog, django_capture_on_commit_callbacks
):
    body = complete(client_a, "message.draft")
    capability = Capability.objects.get(pk="message.draft")
    stricter = capability.output_schema | {"required": [*capability.output_schema["required"], "tone_score"]}
    with django_capture_on_commit_callbacks(execute=True):  # the catalog moves on after the draft was made
        Capability.objects.filter(pk="message.draft").update(version="9.0.0", output_schema=stricter)
        capability.refresh_from_db()
        capability.save()
    edited = dict(body["output"], body="Dear guest, your room is ready at 14:00.")
    good = client_a.post(
        f"/api/v1/ai/hitl/gates/{body['hitl']['gate_id']}/decision",
        {"decision": "edit", "edited_output": edited},
        format="json",
    )
    assert good.status_code == 200, good.content[:300]
    with tenant_context(tenant_a.id):
        gate = HitlGate.objects.get(pk=body["hitl"]["gate_id"])
    assert gate.capability_version == body["provenance"]["capability_version"] != "9.0.0"


def test_deciding_needs_the_review_scope(client_for, tenant_a, client_a, catalog):
    gate_id = complete(client_a, "message.draft")["hitl"]["gate_id"]
    invoke_only = ApiKeyFactory(tenant=tenant_a, scopes=["ai:invoke"])
    response = client_for(invoke_only.raw).post(
        f"/api/v1/ai/hitl/gates/{gate_id}/decision", {"decision": "approve"}, format="json"
    )
    assert response.status_code == 403
    assert client_for(invoke_only.raw).get(f"/api/v1/ai/hitl/gates/{gate_id}").status_code == 200


def test_another_tenant_gets_404(client_a, client_b, catalog):
    gate_id = complete(client_a, "message.draft")["hitl"]["gate_id"]
    assert client_b.get(f"/api/v1/ai/hitl/gates/{gate_id}").status_code == 404
    response = client_b.post(f"/api/v1/ai/hitl/gates/{gate_id}/decision", {"decision": "approve"}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


def test_decisions_are_append_only(client_a, tenant_a, catalog):
    gate_id = complete(client_a, "message.draft")["hitl"]["gate_id"]
    client_a.post(f"/api/v1/ai/hitl/gates/{gate_id}/decision", {"decision": "approve"}, format="json")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), tenant_context(tenant_a.id):
        HitlDecision.objects.filter(gate_id=gate_id).update(decision="reject")


def test_sla_sweep_escalates_then_expires_with_a_controllable_clock(client_a, tenant_a, catalog):
    gate_id = complete(client_a, "message.draft")["hitl"]["gate_id"]
    with tenant_context(tenant_a.id):
        gate = HitlGate.objects.get(pk=gate_id)
    with platform_access(actor="test", reason="sweep"):
        assert hitl_sweep(now=gate.opened_at + dt.timedelta(minutes=10)) == {"expired": 0, "escalated": 0}
        assert hitl_sweep(now=gate.opened_at + dt.timedelta(minutes=25)) == {"expired": 0, "escalated": 1}
        assert hitl_sweep(now=gate.opened_at + dt.timedelta(minutes=26)) == {"expired": 0, "escalated": 0}
        assert hitl_sweep(now=gate.opened_at + dt.timedelta(minutes=31)) == {"expired": 1, "escalated": 0}
        assert hitl_sweep(now=gate.opened_at + dt.timedelta(minutes=40)) == {"expired": 0, "escalated": 0}
        topics = list(OutboxEvent.objects.filter(key=gate_id).values_list("topic", flat=True))
        expired = OutboxEvent.objects.get(topic="hitl.expired", key=gate_id)
    assert sorted(topics) == ["hitl.escalated", "hitl.expired", "hitl.gate_opened"]
    assert expired.payload["meaning"] == "the draft is never sent"
    response = client_a.post(f"/api/v1/ai/hitl/gates/{gate_id}/decision", {"decision": "approve"}, format="json")
    assert response.status_code == 409


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_at_once_record_one_decision(catalog, tenant_a, client_a):
    from hitl.services import hitl_gate_decide
    from melmastoon_ai.errors import Conflict

    gate_id = complete(client_a, "message.draft")["hitl"]["gate_id"]
    outcomes = []
    barrier = threading.Barrier(2)

    def decide(choice):
        try:
            barrier.wait()
            with tenant_context(tenant_a.id):
                hitl_gate_decide(tenant_id=tenant_a.id, gate_id=gate_id, decision=choice, reviewer=f"r-{choice}")
            outcomes.append("decided")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(choice,)) for choice in ("approve", "reject")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "decided"]
    with tenant_context(tenant_a.id):
        assert HitlDecision.objects.filter(gate_id=gate_id).count() == 1


def test_acceptance_rate_per_capability(client_a, tenant_a, catalog):
    from hitl.selectors import acceptance_rates

    started = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    for decision in ("approve", "approve", "reject", "edit"):
        body = complete(client_a, "message.draft")
        payload = {"decision": decision} | ({"edited_output": body["output"]} if decision == "edit" else {})
        client_a.post(f"/api/v1/ai/hitl/gates/{body['hitl']['gate_id']}/decision", payload, format="json")
    complete(client_a, "message.draft")  # still pending: not counted
    with tenant_context(tenant_a.id):
        rates = acceptance_rates(tenant_id=tenant_a.id, since=started)
    assert rates == {"message.draft": {"decided": 4, "approved": 2, "acceptance_rate": 0.5}}
