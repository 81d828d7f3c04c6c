"""Write events in the caller's transaction; relay them after commit, once each."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string

from melmastoon_ai.outbox import relay_metrics
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.outbox.publishers import Envelope, Publisher, PublishError, build_publisher, publish_all
from melmastoon_ai.tenancy.context import outbox_relay_access, platform_access

logger = logging.getLogger(__name__)

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
    return _publisher(
        settings.OUTBOX_PUBLISHER,
        settings.REDIS_URL,
        settings.OUTBOX_STREAM_PREFIX,
        settings.PUBSUB_PROJECT,
        settings.OUTBOX_PUBLISH_TIMEOUT_SECONDS,
    )


@functools.lru_cache(maxsize=4)
def _publisher(name: str, url: str, stream_prefix: str, project: str, timeout_seconds: float) -> Publisher:
    return build_publisher(name, url=url, stream_prefix=stream_prefix, project=project, timeout_seconds=timeout_seconds)


# The batch is picked as `id = ANY(ARRAY(SELECT ...))`, an InitPlan run once: as `WHERE id IN
# (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)` the planner may rescan the subquery and claim far more
# than n rows (seen: 40 of 40 with n = 10), so a killed relay held the whole outbox until its lease ran out.
_CLAIM_SQL = """
UPDATE outbox_outboxevent SET claimed_until = now() + make_interval(secs => %s)
WHERE id = ANY(ARRAY(
    SELECT id FROM outbox_outboxevent
    WHERE published_at IS NULL AND parked_at IS NULL AND available_at <= now()
      AND (claimed_until IS NULL OR claimed_until < now())
    ORDER BY created_at
    LIMIT %s
    FOR UPDATE SKIP LOCKED
))
RETURNING id, topic, key, payload, tenant_id, created_at, attempts
"""


def _claim(batch_size: int) -> list[OutboxEvent]:
    """One statement under the relay's own policy: nothing pending is an empty index scan, with
    no audit row and no second query."""
    with outbox_relay_access(), connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, [settings.OUTBOX_CLAIM_SECONDS, batch_size])
        columns = [column.name for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        if isinstance(row["payload"], str):  # a raw cursor hands jsonb back as text
            row["payload"] = json.loads(row["payload"])
    events = [OutboxEvent(**row) for row in rows]
    return sorted(events, key=lambda event: event.created_at)


def _envelope(event: OutboxEvent) -> Envelope:
    return Envelope(
        id=str(event.id),
        topic=event.topic,
        key=event.key,
        tenant_id=str(event.tenant_id) if event.tenant_id else None,
        payload=event.payload,
        created_at=event.created_at.isoformat(),
    )


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(2**attempts, 300))


@dataclass
class RelayResult:
    published: int = 0
    duplicates: int = 0
    failed: int = 0
    parked: int = 0


_RECORD_SQL = """
UPDATE outbox_outboxevent AS event SET
    claimed_until = NULL,
    published_at = CASE WHEN outcome.published THEN outcome.moment ELSE NULL END,
    attempts = outcome.attempts,
    last_error = outcome.last_error,
    available_at = outcome.available_at,
    parked_at = CASE WHEN outcome.parked THEN outcome.moment ELSE NULL END
FROM (SELECT * FROM unnest(%s::uuid[], %s::boolean[], %s::smallint[], %s::varchar[], %s::timestamptz[],
                           %s::boolean[], %s::timestamptz[]))
     AS outcome(id, published, attempts, last_error, available_at, parked, moment)
WHERE event.id = outcome.id AND event.published_at IS NULL
RETURNING event.id, event.published_at IS NOT NULL
"""


def _record_outcomes(outcomes: list[tuple[OutboxEvent, str | None]], result: RelayResult) -> None:
    """A batch's outcomes in one statement: published, or retried later with backoff, or parked
    after OUTBOX_MAX_ATTEMPTS. The events this statement marked published go to the
    OUTBOX_PUBLISHED_HOOKS in the same transaction (webhook fan-out): all of it commits or none."""
    if not outcomes:
        return
    now = timezone.now()
    columns: tuple[list, ...] = ([], [], [], [], [], [], [])
    for event, error in outcomes:
        attempts, last_error, available_at, parked = event.attempts, "", now, False
        if error is not None:
            attempts = event.attempts + 1
            last_error, available_at = error[:500], now + _backoff(attempts)
            parked = attempts >= settings.OUTBOX_MAX_ATTEMPTS
            result.failed += 1
            relay_metrics.failed(event.topic)
            if parked:
                result.parked += 1
                relay_metrics.parked(event.topic)
                logger.error("outbox event parked", extra={"event_id": str(event.id), "topic": event.topic})
        else:
            relay_metrics.published(event.topic, (now - event.created_at).total_seconds())
        for column, value in zip(
            columns, (event.id, error is None, attempts, last_error, available_at, parked, now), strict=True
        ):
            column.append(value)
    with outbox_relay_access():
        with connection.cursor() as cursor:
            cursor.execute(_RECORD_SQL, list(columns))
            marked = {str(event_id) for event_id, published in cursor.fetchall() if published}
        if marked:
            envelopes = [_envelope(event) for event, _error in outcomes if str(event.id) in marked]
            for hook in _published_hooks(tuple(settings.OUTBOX_PUBLISHED_HOOKS)):
                hook(envelopes=envelopes)


@functools.lru_cache(maxsize=4)
def _published_hooks(paths: tuple[str, ...]) -> list[Callable[..., object]]:
    """What runs on the events a relay marked published, inside its transaction, under its RLS
    policy; named in settings, so the outbox never imports the apps it feeds (webhooks)."""
    return [import_string(path) for path in paths]


def outbox_relay(*, publisher: Publisher | None = None, batch_size: int = 100) -> RelayResult:
    """Publish one claimed batch. Safe to run in several workers at once."""
    publisher = publisher or default_publisher()
    result = RelayResult()
    outcomes: list[tuple[OutboxEvent, str | None]] = []
    events = _claim(batch_size)
    if not events:
        return result
    for event, outcome in zip(events, publish_all(publisher, [_envelope(event) for event in events]), strict=True):
        if isinstance(outcome, PublishError):
            outcomes.append((event, str(outcome)))
            continue
        if outcome:
            result.published += 1
        else:
            result.duplicates += 1
        outcomes.append((event, None))
    _record_outcomes(outcomes, result)
    return result


def outbox_replay_parked(*, actor: str, event_ids: list[str] | None = None, topic: str = "") -> int:
    """Put parked events back in the queue (attempts from zero, due now); how many. Audited: an
    operator's action on every tenant's outbox, not the relay's."""
    with platform_access(actor=actor, reason="replay parked outbox events"):
        parked = OutboxEvent.objects.filter(published_at__isnull=True, parked_at__isnull=False)
        if event_ids is not None:
            parked = parked.filter(id__in=event_ids)
        if topic:
            parked = parked.filter(topic=topic)
        count = parked.update(parked_at=None, attempts=0, available_at=timezone.now(), claimed_until=None)
    logger.info("outbox parked events replayed", extra={"count": count, "actor": actor})
    return count
