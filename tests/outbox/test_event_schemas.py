"""Every event the service emits on a real request matches its committed JSON Schema (the versioned
envelope with the type's payload), and a schema refuses what its consumers could not read."""

from __future__ import annotations

import pytest

from melmastoon_ai.outbox.catalog import documented_types, schema_errors
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.outbox.services import _envelope
from melmastoon_ai.tenancy.context import tenant_context

pytestmark = pytest.mark.django_db


def test_events_of_a_gated_draft_and_its_decision_match_their_schemas(client_a, tenant_a, catalog):
    from capabilities.models import Capability

    for capability in ("message.draft", "pricing.suggest"):
        example = Capability.objects.get(pk=capability).examples[0]
        body = client_a.post("/api/v1/ai/complete", {"capability": capability, "input": example}, format="json").json()
    gate_id = client_a.post(
        "/api/v1/ai/complete",
        {"capability": "message.draft", "input": Capability.objects.get(pk="message.draft").examples[0]},
        format="json",
    ).json()["hitl"]["gate_id"]
    assert body["id"]
    assert (
        client_a.post(f"/api/v1/ai/hitl/gates/{gate_id}/decision", {"decision": "approve"}, format="json").status_code
        == 200
    )
    with tenant_context(tenant_a.id):
        events = list(OutboxEvent.objects.filter(tenant_id=tenant_a.id))
    types = {event.topic for event in events}
    assert {"inference.completed", "hitl.gate_opened", "hitl.decided"} <= types
    for event in events:
        assert schema_errors(_envelope(event).body()) == [], event.topic


def test_a_schema_refuses_a_missing_field_and_a_wrong_version(tenant_a):
    event = OutboxEvent(topic="hitl.decided", key="g", tenant_id=tenant_a.id, payload={"gate_id": "x"})
    body = _envelope(event).body()
    errors = schema_errors(body)
    assert any("decision" in error for error in errors)
    assert schema_errors(body | {"version": 2})
    assert schema_errors({"type": "nothing.known"}) == ["no schema for event type 'nothing.known'"]


def test_each_documented_type_has_a_schema():
    assert {
        "inference.completed",
        "inference.blocked",
        "suggestion",
        "hitl.gate_opened",
        "hitl.decided",
        "hitl.expired",
        "hitl.escalated",
        "hitl.assigned",
        "budget.soft_cap_reached",
        "budget.hard_cap_reached",
        "eval.drift_detected",
        "edge.manifest_published",
        "edge.key_version_revoked",
        "edge.model_refused",
    } <= set(documented_types())
