"""A real relay process (`manage.py outbox_relay`) SIGKILLed in the middle of a batch, publishing
through the official Pub/Sub client to the gRPC fake: afterwards the outbox table holds every event
once, each published once recorded, none lost or parked; the events of the interrupted batch go out
again with their same ids (at least once), and a consumer that deduplicates on `event_id` sees
each event exactly once."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.outbox.services import outbox_emit
from melmastoon_ai.tenancy.context import platform_access, tenant_context
from tests.e2e.conftest import BIN, ROOT, service_env
from tests.outbox.conftest import PROJECT, topic_path

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
EVENTS = 40


def _wait_for(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _rows() -> list[OutboxEvent]:
    with platform_access(actor="test", reason="inspect outbox"):
        return list(OutboxEvent.objects.order_by("created_at"))


def _relay(pubsub_fake, topic_prefix: str) -> subprocess.Popen:
    env = service_env(
        OUTBOX_PUBLISHER="pubsub",
        PUBSUB_PROJECT=PROJECT,
        PUBSUB_EMULATOR_HOST=pubsub_fake.emulator_host,
        OUTBOX_STREAM_PREFIX=topic_prefix,
        OUTBOX_CLAIM_SECONDS="2",
    )
    return subprocess.Popen(
        [str(BIN / "python"), "manage.py", "outbox_relay", "--forever", "--batch-size", "10", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_relay_killed_mid_batch_loses_and_duplicates_nothing(tenant_a, pubsub_fake, pubsub_publisher, topic_prefix):
    with tenant_context(tenant_a.id):
        emitted = [
            str(outbox_emit(topic="inference.completed", key=f"k{n}", tenant_id=tenant_a.id, payload={"n": n}).id)
            for n in range(EVENTS)
        ]
    topic = topic_path(topic_prefix, "inference.events.v1")
    pubsub_fake.delay_seconds = 1.5  # each Publish call slow: the kill lands inside a batch
    relay = _relay(pubsub_fake, topic_prefix)
    try:
        _wait_for(lambda: any(row.published_at for row in _rows()), timeout=180, what="a first batch recorded")
        _wait_for(
            lambda: pubsub_fake.publish_calls > 0 and pubsub_fake.in_flight > 0,
            timeout=30,
            what="the next batch in flight",
        )
        relay.kill()  # SIGKILL: no chance to record the batch in flight
        relay.wait(15)
    finally:
        if relay.poll() is None:
            relay.kill()
    rows = _rows()
    assert sorted(str(row.id) for row in rows) == sorted(emitted)
    in_flight = [row for row in rows if row.published_at is None]
    assert in_flight, "the kill came after the whole outbox was recorded"
    assert not [row for row in rows if row.parked_at is not None]

    pubsub_fake.delay_seconds = 0.0
    relay = _relay(pubsub_fake, topic_prefix)  # a new relay claims the killed one's batch after its lease
    try:
        _wait_for(
            lambda: all(row.published_at is not None for row in _rows()),
            timeout=180,
            what="every event to be recorded published",
        )
    finally:
        relay.terminate()
        relay.wait(15)
    rows = _rows()
    assert sorted(str(row.id) for row in rows) == sorted(emitted)  # no row lost, none added
    assert all(row.attempts == 0 and row.parked_at is None and row.claimed_until is None for row in rows)
    delivered = [message.attributes["event_id"] for message in pubsub_fake.messages(topic)]
    assert set(delivered) == set(emitted)  # nothing lost on the topic
    assert len(delivered) >= EVENTS  # at least once: the interrupted batch may have gone out twice
    deduplicated = {json.loads(message.data)["id"] for message in pubsub_fake.messages(topic)}
    assert sorted(deduplicated) == sorted(emitted)
