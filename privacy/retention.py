"""Retention (docs/privacy.md): each tenant's periods (RetentionPolicy, else
PRIVACY_RETENTION_DEFAULTS) applied by the nightly beat task, in batches.

Each batch is one short tenant transaction around one statement over at most
PRIVACY_RETENTION_BATCH rows picked by primary key (`WHERE pk IN (SELECT pk ... LIMIT n)`), so no
lock is held long and the request path never waits behind the sweep; a sweep stopped half-way
leaves whole batches done and the next run goes on from there.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from capabilities.models import IdempotencyRecord, InferenceRecord, ModerationBlock
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.tenancy.models import Tenant
from melmastoon_ai.webhooks.models import WebhookDelivery
from privacy.models import RetentionPolicy


def retention_of(tenant_id: uuid.UUID) -> dict[str, int]:
    """The tenant's periods in days: its policy where set, the defaults elsewhere."""
    periods = dict(settings.PRIVACY_RETENTION_DEFAULTS)
    with tenant_context(tenant_id):
        policy = RetentionPolicy.objects.filter(tenant_id=tenant_id).first()
    for name in periods:
        value = getattr(policy, name, None) if policy else None
        if value:
            periods[name] = value
    return periods


def _in_batches(tenant_id: uuid.UUID, select: Callable[[], QuerySet], act: Callable[[QuerySet], int]) -> int:
    done = 0
    while True:
        with tenant_context(tenant_id):
            batch = select().order_by("pk").values("pk")[: settings.PRIVACY_RETENTION_BATCH]
            count = act(select().model._default_manager.filter(tenant_id=tenant_id, pk__in=batch))
        done += count
        if count < settings.PRIVACY_RETENTION_BATCH:
            return done


def _in_time_order(tenant_id: uuid.UUID, select: Callable[[], QuerySet], act: Callable[[QuerySet], int]) -> int:
    """Batches that walk forward by (created_at, pk) from where the last one stopped: a row a batch
    has updated still matches nothing new, but an `ORDER BY pk LIMIT n` over the remaining rows
    read every row already done again, so each batch got slower (933 s and 6 s batches for
    500,000 of 1M records; bench/retention.py). Rows a batch updates stay in place, hence the key."""
    done, after = 0, None
    while True:
        with tenant_context(tenant_id):
            rows = select()
            if after is not None:
                rows = rows.filter(Q(created_at__gt=after[0]) | Q(created_at=after[0], pk__gt=after[1]))
            batch = list(
                rows.order_by("created_at", "pk").values_list("created_at", "pk")[: settings.PRIVACY_RETENTION_BATCH]
            )
            if not batch:
                return done
            done += act(select().model._default_manager.filter(tenant_id=tenant_id, pk__in=[pk for _, pk in batch]))
        if len(batch) < settings.PRIVACY_RETENTION_BATCH:
            return done
        after = batch[-1]


def _deleted(rows: QuerySet) -> int:
    return rows.delete()[0]  # no dependants and no signals: Django sends it as one DELETE


def tenant_retention_apply(*, tenant_id: uuid.UUID, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    days = retention_of(tenant_id)

    def before(name: str) -> dt.datetime:
        return now - dt.timedelta(days=days[name])

    return {
        "inferences_emptied": _in_time_order(
            tenant_id,
            lambda: InferenceRecord.objects.filter(
                tenant_id=tenant_id, erased_at__isnull=True, created_at__lt=before("inference_content_days")
            ),
            lambda rows: rows.update(input_redacted={}, output={}, context={}, erased_at=now),
        ),
        "idempotency_deleted": _in_batches(
            tenant_id,
            lambda: IdempotencyRecord.objects.filter(
                tenant_id=tenant_id, created_at__lt=before("idempotency_days"), state=IdempotencyRecord.State.COMPLETED
            ),
            _deleted,
        ),
        "events_deleted": _in_batches(
            tenant_id,
            lambda: OutboxEvent.objects.filter(
                tenant_id=tenant_id, published_at__isnull=False, published_at__lt=before("published_event_days")
            ),
            _deleted,
        ),
        # a webhook delivery carries its event's body: it goes with the event, once it is finished
        "webhook_deliveries_deleted": _in_batches(
            tenant_id,
            lambda: WebhookDelivery.objects.filter(
                tenant_id=tenant_id,
                status__in=[WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.PARKED],
                created_at__lt=before("published_event_days"),
            ),
            _deleted,
        ),
        "moderation_blocks_deleted": _in_batches(
            tenant_id,
            lambda: ModerationBlock.objects.filter(tenant_id=tenant_id, created_at__lt=before("moderation_block_days")),
            _deleted,
        ),
    }


def retention_sweep() -> dict[str, int]:
    """Every tenant's retention, one tenant at a time (the beat task)."""
    totals: dict[str, int] = {}
    for tenant_id in Tenant.objects.order_by("pk").values_list("pk", flat=True):
        for name, count in tenant_retention_apply(tenant_id=tenant_id).items():
            totals[name] = totals.get(name, 0) + count
    return totals
