"""Prometheus, read from the database at scrape time: the HITL queue per capability and its SLA.

`melmastoon_hitl_open_gates` (pending or escalated), `melmastoon_hitl_overdue_gates` (open past
their SLA) and `melmastoon_hitl_sla_breaches_24h` (gates that expired unanswered in the last day).
The same figures whichever worker answers the scrape, so they need no multiprocess merging.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import Count, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from hitl.models import HitlGate
from melmastoon_ai.observability.metrics import register_scrape_collector
from melmastoon_ai.tenancy.context import metrics_read_access

logger = logging.getLogger(__name__)


def queue_figures(now: dt.datetime) -> list[dict]:
    """Per capability with any open or recently expired gate: open, overdue and breached counts."""
    recent = Q(status=HitlGate.Status.EXPIRED, decided_at__gte=now - dt.timedelta(days=1))
    open_now = Q(status__in=HitlGate.OPEN_STATUSES)
    with metrics_read_access():
        return list(
            HitlGate.objects.filter(open_now | recent)
            .values("capability")
            .annotate(
                open=Count("id", filter=open_now),
                overdue=Count("id", filter=open_now & Q(sla_due_at__lt=now)),
                breached=Count("id", filter=recent),
            )
            .order_by("capability")
        )


class HitlQueueCollector:
    def collect(self):
        gauges = {
            "open": GaugeMetricFamily(
                "melmastoon_hitl_open_gates", "HITL gates waiting (pending or escalated)", labels=["capability"]
            ),
            "overdue": GaugeMetricFamily(
                "melmastoon_hitl_overdue_gates", "Open HITL gates past their SLA", labels=["capability"]
            ),
            "breached": GaugeMetricFamily(
                "melmastoon_hitl_sla_breaches_24h",
                "HITL gates that expired unanswered in the last 24 hours",
                labels=["capability"],
            ),
        }
        try:
            rows = queue_figures(timezone.now())
        except Exception:  # a scrape must not fail because the database blinked
            logger.warning("hitl gauges unavailable for this scrape")
            rows = []
        for row in rows:
            for name, gauge in gauges.items():
                gauge.add_metric([row["capability"]], row[name])
        yield from gauges.values()


register_scrape_collector(HitlQueueCollector())
