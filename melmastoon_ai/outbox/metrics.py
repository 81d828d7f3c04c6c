"""Prometheus, read at scrape time: how far the relay is behind and what it gave up on.

`melmastoon_outbox_pending_events` and `melmastoon_outbox_lag_seconds` (the age of the oldest event
not yet published: the relay's lag) come from the pending index; `melmastoon_outbox_parked_events`
counts events the relay stopped retrying (an operator re-queues or drops them).
"""

from __future__ import annotations

from django.db.models import Count, Min, Q
from django.utils import timezone

from melmastoon_ai.observability.metrics import FigureGauges, register_scrape_collector
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.tenancy.context import metrics_read_access


def outbox_figures() -> dict:
    pending = Q(published_at__isnull=True, parked_at__isnull=True)
    with metrics_read_access():
        figures = OutboxEvent.objects.filter(pending).aggregate(pending=Count("id"), oldest=Min("created_at"))
        figures["parked"] = OutboxEvent.objects.filter(published_at__isnull=True, parked_at__isnull=False).count()
    oldest = figures.pop("oldest")
    figures["lag_seconds"] = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return figures


register_scrape_collector(
    FigureGauges(
        "outbox",
        {
            "pending": ("melmastoon_outbox_pending_events", "Outbox events not yet published"),
            "lag_seconds": ("melmastoon_outbox_lag_seconds", "Age of the oldest outbox event not yet published"),
            "parked": ("melmastoon_outbox_parked_events", "Outbox events the relay gave up on"),
        },
        outbox_figures,
    )
)
