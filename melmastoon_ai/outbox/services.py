"""Write events in the caller's transaction; relay them after commit, once each."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.outbox.publishers import Envelope, Publisher, PublishError, build_publisher
from melmastoon_ai.tenancy.context import platform_access

logger = logging.getLogger(__name__)

CLAIM_SECONDS = 60
RELAY_ACTOR = "outbox-relay"


def outbox_emit(*, topic: str, payload: dict, key: str = "", tenant_id: uuid.UUID | str | None = None) -> OutboxEvent:
    """Record an event; must run inside the transaction of the change it describes."""
    if not connection.in_atomic_block:
        raise RuntimeError("outbox_emit must run inside the transaction of the change it describes")
    return OutboxEvent.objects.create(topic=topic, payload=payload, key=key, tenant_id=tenant_id)


def outbox_emit_many(*, tenant_id: uuid.UUID | str | None, key: str, events: list[tuple[str, dict]]) -> None:
    """Several events of one change in one INSERT; same rules as `outbox_emit`."""
    if not connection.in_atomic_block:
        raise RuntimeError("outbox_emit_many must run inside the transaction of the change it describes")
    OutboxEvent.objects.bulk_create(outbox_rows(tenant_id=tenant_id, key=key, events=events))


def outbox_rows(*, tenant_id: uuid.UUID | str | None, key: str, events: list[tuple[str, dict]]) -> list[OutboxEvent]:
    """The events of a change as rows the caller inserts with the change itself, in its transaction."""
    return [OutboxEvent(topic=topic, payload=payload, key=key, tenant_id=tenant_id) for topic, payload in events]


def default_publisher() -> Publisher:
    """One publisher (and so one Redis connection pool) per process and configuration, not one
    per relayed batch."""
    return _publisher(settings.OUTBOX_PUBLISHER, settings.REDIS_URL, settings.OUTBOX_STREAM_PREFIX)


@functools.lru_cache(maxsize=4)
def _publisher(name: str, url: str, stream_prefix: str) -> Publisher:
    return build_publisher(name, url=url, stream_prefix=stream_prefix)


_CLAIM_SQL = """
UPDATE outbox_outboxevent SET claimed_until = now() + make_interval(secs => %s)
WHERE id IN (
    SELECT id FROM outbox_outboxevent
    WHERE published_at IS NULL AND parked_at IS NULL AND available_at <= now()
      AND (claimed_until IS NULL OR claimed_until < now())
    ORDER BY created_at
    LIMIT %s
    FOR UPDATE SKIP LOCKED
)
RETURNING id
"""


def _claim(batch_size: int) -> list[OutboxEvent]:
    with platform_access(actor=RELAY_ACTOR, reason="claim outbox batch"):
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_SQL, [CLAIM_SECONDS, batch_size])
            ids = [row[0] for row in cursor.fetchall()]
        return list(OutboxEvent.objects.filter(id__in=ids).order_by("created_at"))


def _envelope(event: OutboxEvent) -> Envelope:
    return Envelope(id=str(event.id), topic=event.topic, key=event.key,
                    tenant_id=str(event.tenant_id) if event.tenant_id else None,
                    payload=event.payload, created_at=event.created_at.isoformat())


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(2 ** attempts, 300))


@dataclass
class RelayResult:
    published: int = 0
    duplicates: int = 0
    failed: int = 0
    parked: int = 0


def _record_outcome(event: OutboxEvent, error: str | None, result: RelayResult) -> None:
    now = timezone.now()
    fields: dict = {"claimed_until": None}
    if error is None:
        fields["published_at"] = now
    else:
        attempts = event.attempts + 1
        fields.update(attempts=attempts, last_error=error[:500], available_at=now + _backoff(attempts))
        if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            fields["parked_at"] = now
            result.parked += 1
            logger.error("outbox event parked", extra={"event_id": str(event.id), "topic": event.topic})
        result.failed += 1
    with platform_access(actor=RELAY_ACTOR, reason="record outbox outcome"):
        OutboxEvent.objects.filter(pk=event.pk, published_at__isnull=True).update(**fields)


def outbox_relay(*, publisher: Publisher | None = None, batch_size: int = 100) -> RelayResult:
    """Publish one claimed batch. Safe to run in several workers at once."""
    publisher = publisher or default_publisher()
    result = RelayResult()
    for event in _claim(batch_size):
        try:
            fresh = publisher.publish(_envelope(event))
        except PublishError as exc:
            _record_outcome(event, str(exc), result)
            continue
        if fresh:
            result.published += 1
        else:
            result.duplicates += 1
        _record_outcome(event, None, result)
    return result
