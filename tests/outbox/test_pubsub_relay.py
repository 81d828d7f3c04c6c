"""The relay through the official Pub/Sub client against the gRPC fake: seed 000's topics, the
versioned envelope, attributes, per-tenant ordering of HITL events, down then back, parked replay."""

from __future__ import annotations

import json
import time

import pytest
from django.core.management import call_command

from melmastoon_ai.outbox.catalog import schema_errors, topic_for
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.outbox.services import outbox_emit, outbox_relay
from melmastoon_ai.tenancy.context import platform_access, tenant_context
from tests.outbox.conftest import topic_path

pytestmark = pytest.mark.django_db(transaction=True)

GATE = {
    "gate_id": "6f1c3c1e-5d43-4a53-9a43-3f8c5a1b2c3d",
    "status": "pending",
    "reason": "always reviewed",
    "sla_due_at": "2027-01-01T10:00:00+00:00",
    "capability": "message.draft",
    "inference_id": "0b9c8f2e-8a55-4f3e-bd0e-1c2d3e4f5a6b",
    "reviewer_group": "reviewers",
}


def _events() -> list[OutboxEvent]:
    with platform_access(actor="test", reason="inspect outbox"):
        return list(OutboxEvent.objects.order_by("created_at"))


def _make_due() -> None:
    with platform_access(actor="test", reason="make due"):
        for event in OutboxEvent.objects.filter(published_at__isnull=True):
            OutboxEvent.objects.filter(pk=event.pk).update(available_at=event.created_at)


def test_topic_names_are_seed_000s():
    assert topic_for("inference.completed") == "melmastoon.ai_orchestrator.inference.events.v1"
    assert topic_for("suggestion.pricing_suggest") == "melmastoon.ai_orchestrator.inference.events.v1"
    assert topic_for("eval.drift_detected") == "melmastoon.ai_orchestrator.eval.events.v1"
    assert topic_for("hitl.decided") == "melmastoon.ai_orchestrator.hitl.events.v1"
    assert topic_for("budget.hard_cap_reached") == "melmastoon.ai_orchestrator.budget.events.v1"
    assert topic_for("privacy.subject_erased") == "melmastoon.ai_orchestrator.privacy.events.v1"
    assert topic_for("edge.model_refused") == "melmastoon.ai_orchestrator.edge.events.v1"


def test_relay_publishes_the_versioned_envelope_with_attributes(tenant_a, pubsub_fake, pubsub_publisher, topic_prefix):
    with tenant_context(tenant_a.id):
        event = outbox_emit(topic="hitl.gate_opened", payload=GATE, key=GATE["gate_id"], tenant_id=tenant_a.id)
    assert outbox_relay(publisher=pubsub_publisher).published == 1
    (message,) = pubsub_fake.messages(topic_path(topic_prefix, "hitl.events.v1"))
    body = json.loads(message.data)
    assert body["id"] == str(event.id) and body["type"] == "hitl.gate_opened" and body["version"] == 1
    assert body["tenant_id"] == str(tenant_a.id) and body["payload"] == GATE
    assert schema_errors(body) == []
    assert dict(message.attributes) == {
        "event_id": str(event.id),
        "event_type": "hitl.gate_opened",
        "event_version": "1",
        "tenant_id": str(tenant_a.id),
    }
    assert message.ordering_key == str(tenant_a.id)
    assert _events()[0].published_at is not None


def test_hitl_events_are_ordered_per_tenant_and_others_are_not(
    tenant_a, tenant_b, pubsub_fake, pubsub_publisher, topic_prefix
):
    emitted: dict[str, list[str]] = {str(tenant_a.id): [], str(tenant_b.id): []}
    for n, tenant in enumerate((tenant_a, tenant_b, tenant_a, tenant_b, tenant_a)):
        with tenant_context(tenant.id):
            event = outbox_emit(topic="hitl.decided", key="g", tenant_id=tenant.id, payload={"n": n})
            outbox_emit(topic="inference.completed", key="i", tenant_id=tenant.id, payload={})
        emitted[str(tenant.id)].append(str(event.id))
    assert outbox_relay(publisher=pubsub_publisher).published == 10
    hitl = pubsub_fake.messages(topic_path(topic_prefix, "hitl.events.v1"))
    received: dict[str, list[str]] = {str(tenant_a.id): [], str(tenant_b.id): []}
    for message in hitl:
        received[message.ordering_key].append(message.attributes["event_id"])
    assert received == emitted  # each tenant's in the order written
    inference = pubsub_fake.messages(topic_path(topic_prefix, "inference.events.v1"))
    assert len(inference) == 5 and {m.ordering_key for m in inference} == {""}


def test_fake_down_then_back_retries_with_backoff_and_publishes_once(
    tenant_a, pubsub_fake, pubsub_publisher, topic_prefix
):
    with tenant_context(tenant_a.id):
        outbox_emit(topic="hitl.decided", key="g", tenant_id=tenant_a.id, payload={})
        outbox_emit(topic="inference.completed", key="i", tenant_id=tenant_a.id, payload={})
    pubsub_fake.stop()
    result = outbox_relay(publisher=pubsub_publisher)
    assert (result.published, result.failed) == (0, 2)
    events = _events()
    assert all(e.attempts == 1 and e.published_at is None and e.available_at > e.created_at for e in events)
    assert all("pubsub" in e.last_error for e in events)
    assert outbox_relay(publisher=pubsub_publisher).failed == 0  # waiting for its backoff
    pubsub_fake.start()
    published = 0
    for _ in range(3):  # the client's channel reconnects after its (shortened) backoff: poll, under 5 attempts
        time.sleep(1)
        _make_due()
        published += outbox_relay(publisher=pubsub_publisher).published
        if published == 2:
            break
    assert published == 2
    assert len(pubsub_fake.messages(topic_path(topic_prefix, "hitl.events.v1"))) == 1
    assert len(pubsub_fake.messages(topic_path(topic_prefix, "inference.events.v1"))) == 1
    assert all(e.published_at is not None for e in _events())


def test_a_scripted_rejection_fails_only_that_batch_attempt(tenant_a, pubsub_fake, pubsub_publisher):
    import grpc

    with tenant_context(tenant_a.id):
        outbox_emit(topic="inference.completed", key="i", tenant_id=tenant_a.id, payload={})
    pubsub_fake.fail_next(1, grpc.StatusCode.PERMISSION_DENIED)  # not retried by the client
    assert outbox_relay(publisher=pubsub_publisher).failed == 1
    _make_due()
    assert outbox_relay(publisher=pubsub_publisher).published == 1


def test_a_missing_topic_parks_after_five_attempts_and_replay_publishes_it(
    tenant_a, pubsub_fake, pubsub_publisher, topic_prefix
):
    with tenant_context(tenant_a.id):
        outbox_emit(topic="budget.hard_cap_reached", key="b", tenant_id=tenant_a.id, payload={})
    budget_topic = topic_path(topic_prefix, "budget.events.v1")
    pubsub_publisher._client.delete_topic(topic=budget_topic)
    for _ in range(5):
        _make_due()
        assert outbox_relay(publisher=pubsub_publisher).failed == 1
    (event,) = _events()
    assert event.state == "parked" and "NotFound" in event.last_error
    pubsub_publisher.ensure_topics()
    call_command("outbox_replay", "--parked", "--actor", "ops@example.com")
    (event,) = _events()
    assert event.state == "pending" and event.attempts == 0
    assert outbox_relay(publisher=pubsub_publisher).published == 1
    assert len(pubsub_fake.messages(budget_topic)) == 1


def test_a_claim_takes_at_most_the_batch_size(tenant_a, pubsub_fake, pubsub_publisher):
    with tenant_context(tenant_a.id):
        for n in range(25):
            outbox_emit(topic="inference.completed", key=f"k{n}", tenant_id=tenant_a.id, payload={})
    assert [outbox_relay(publisher=pubsub_publisher, batch_size=10).published for _ in range(4)] == [10, 10, 5, 0]
