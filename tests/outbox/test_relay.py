"""The outbox relay: published once to Redis Streams, retried with backoff, parked after 5 failures."""

from __future__ import annotations

import threading

import pytest
import redis
from django.conf import settings
from django.db import connection

from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.outbox.publishers import Envelope, PublishError, RedisStreamsPublisher
from melmastoon_ai.outbox.services import outbox_emit, outbox_relay
from melmastoon_ai.tenancy.context import platform_access, tenant_context

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def publisher():
    prefix = f"test.{threading.get_ident()}.{id(object())}."
    pub = RedisStreamsPublisher(url=settings.REDIS_URL, stream_prefix=prefix)
    yield pub
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def _stream_ids(publisher: RedisStreamsPublisher, topic: str) -> list[str]:
    client = redis.Redis.from_url(settings.REDIS_URL)
    return [fields[b"id"].decode() for _, fields in client.xrange(publisher.stream_for(topic))]


def _all_events() -> list[OutboxEvent]:
    with platform_access(actor="test", reason="inspect outbox"):
        return list(OutboxEvent.objects.order_by("created_at"))


def _emit(tenant, n: int = 1, topic: str = "inference.completed") -> list[OutboxEvent]:
    with tenant_context(tenant.id):
        return [outbox_emit(topic=topic, payload={"n": i}, key=f"k{i}", tenant_id=tenant.id) for i in range(n)]


def test_emit_outside_a_transaction_is_refused(tenant_a):
    assert not connection.in_atomic_block
    with pytest.raises(RuntimeError):
        outbox_emit(topic="x", payload={}, tenant_id=tenant_a.id)


def test_relay_publishes_each_event_once(tenant_a, publisher):
    events = _emit(tenant_a, 3)
    result = outbox_relay(publisher=publisher)
    assert result.published == 3
    assert _stream_ids(publisher, "inference.completed") == [str(e.id) for e in events]
    assert all(e.published_at is not None for e in _all_events())
    assert outbox_relay(publisher=publisher).published == 0
    assert len(_stream_ids(publisher, "inference.completed")) == 3


def test_concurrent_relays_never_publish_an_event_twice(tenant_a, publisher):
    _emit(tenant_a, 40)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def run():
        try:
            barrier.wait()
            while outbox_relay(publisher=publisher, batch_size=5).published:
                pass
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ids = _stream_ids(publisher, "inference.completed")
    assert len(ids) == 40 == len(set(ids))


def test_crash_after_publish_before_marking_does_not_publish_again(tenant_a, publisher):
    (event,) = _emit(tenant_a)
    envelope = Envelope(
        id=str(event.id),
        topic=event.topic,
        key=event.key,
        tenant_id=str(tenant_a.id),
        payload=event.payload,
        created_at=event.created_at.isoformat(),
    )
    assert publisher.publish(envelope) is True  # published, then the relay "crashed"
    result = outbox_relay(publisher=publisher)
    assert (result.published, result.duplicates) == (0, 1)
    assert _stream_ids(publisher, "inference.completed") == [str(event.id)]
    assert _all_events()[0].published_at is not None


class FailingPublisherFake:
    def __init__(self):
        self.calls = 0

    def publish(self, envelope):
        self.calls += 1
        raise PublishError("broker down")


def test_failures_back_off_and_park_after_five_attempts(tenant_a):
    _emit(tenant_a)
    failing = FailingPublisherFake()
    for attempt in range(1, 6):
        with platform_access(actor="test", reason="make due"):
            OutboxEvent.objects.update(available_at=OutboxEvent.objects.get().created_at)
        result = outbox_relay(publisher=failing)
        assert result.failed == 1
        event = _all_events()[0]
        assert event.attempts == attempt
    assert event.parked_at is not None and event.state == "parked"
    assert "broker down" in event.last_error
    assert outbox_relay(publisher=failing).failed == 0
    assert failing.calls == 5


def test_a_failed_event_waits_for_its_backoff(tenant_a):
    _emit(tenant_a)
    failing = FailingPublisherFake()
    outbox_relay(publisher=failing)
    outbox_relay(publisher=failing)
    assert failing.calls == 1


def _access_rows() -> int:
    from melmastoon_ai.tenancy.models import PlatformAccessLog

    with platform_access(actor="test", reason="count audit rows"):
        return PlatformAccessLog.objects.exclude(actor="test").count()


def test_an_idle_relay_writes_no_audit_row_and_one_statement(tenant_a, publisher):
    from django.test.utils import CaptureQueriesContext

    before = _access_rows()
    with CaptureQueriesContext(connection) as queries:
        assert outbox_relay(publisher=publisher).published == 0
    statements = [query["sql"] for query in queries.captured_queries]
    touching = [sql for sql in statements if "outbox_outboxevent" in sql]
    assert len(touching) == 1 and touching[0].lstrip().startswith("UPDATE outbox_outboxevent")  # the claim
    assert not any("platformaccesslog" in sql for sql in statements)
    assert _access_rows() == before  # 43,200 audit rows a day idle, before


def test_a_batch_of_outcomes_is_one_statement(tenant_a, tenant_b, publisher):
    from django.test.utils import CaptureQueriesContext

    _emit(tenant_a, 3)
    _emit(tenant_b, 2)
    with CaptureQueriesContext(connection) as queries:
        assert outbox_relay(publisher=publisher).published == 5
    updates = [query["sql"] for query in queries.captured_queries if query["sql"].lstrip().startswith("UPDATE")]
    assert len(updates) == 2  # the claim and the outcomes of the whole batch
    assert all(event.published_at is not None and event.claimed_until is None for event in _all_events())


def test_the_relay_policy_opens_the_outbox_and_nothing_else(tenant_a, tenant_b):
    from melmastoon_ai.tenancy.context import outbox_relay_access
    from melmastoon_ai.tenancy.models import ApiKey
    from tests.factories import ApiKeyFactory

    ApiKeyFactory(tenant=tenant_a)
    _emit(tenant_a, 1)
    _emit(tenant_b, 1)
    with outbox_relay_access():
        assert OutboxEvent.objects.count() == 2  # every tenant's events
        assert ApiKey.objects.count() == 0  # no other table
    with tenant_context(tenant_b.id):
        assert OutboxEvent.objects.count() == 1  # and outside it, tenant isolation as before
