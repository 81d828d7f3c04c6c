"""Prometheus, read at scrape time: how far the BigQuery export of ai_calls_fact is behind.

`melmastoon_bigquery_export_lag_seconds` is the age of the oldest fact after the export's
high-water mark (0 when none is waiting), read through the scrape's own SELECT policy as the outbox
lag is; `melmastoon_bigquery_exported_facts` is the mark's running count. Nothing is reported
while the export is off (`BIGQUERY_PROJECT` unset). The counters and the delay histogram the
export itself keeps are in `bigquery_export`.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from capabilities.models import BigQueryExportState, UsageFact
from melmastoon_ai.observability.metrics import FigureGauges, register_scrape_collector
from melmastoon_ai.tenancy.context import metrics_read_access


def export_figures() -> dict:
    state = BigQueryExportState.objects.filter(pk=1).first()
    facts = UsageFact.objects.all()
    if state is not None and state.created_at is not None:
        facts = facts.filter(created_at__gte=state.created_at).filter(
            Q(created_at__gt=state.created_at) | Q(id__gt=state.fact_id)
        )
    with metrics_read_access():
        oldest = facts.order_by("created_at", "id").values_list("created_at", flat=True).first()
    return {
        "lag_seconds": (timezone.now() - oldest).total_seconds() if oldest else 0.0,
        "exported": state.exported if state else 0,
    }


register_scrape_collector(
    FigureGauges(
        "bigquery export",
        {
            "lag_seconds": (
                "melmastoon_bigquery_export_lag_seconds",
                "Age of the oldest ai_calls_fact row not yet in BigQuery",
            ),
            "exported": ("melmastoon_bigquery_exported_facts", "ai_calls_fact rows exported to BigQuery"),
        },
        export_figures,
        enabled=lambda: bool(settings.BIGQUERY_PROJECT),
    )
)
