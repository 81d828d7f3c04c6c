"""Prometheus: spend and remaining budget per tenant and feature for the current period."""

from __future__ import annotations

import logging

from prometheus_client.core import GaugeMetricFamily

from budgets.counters import BudgetCounters
from budgets.models import BudgetPeriod
from melmastoon_ai.observability.metrics import register_scrape_collector
from melmastoon_ai.tenancy.context import metrics_read_access

logger = logging.getLogger(__name__)


class BudgetCollector:
    def collect(self):
        used = GaugeMetricFamily(
            "melmastoon_budget_used_tokens", "Tokens used in the current period", labels=["tenant", "feature"]
        )
        remaining = GaugeMetricFamily(
            "melmastoon_budget_remaining_tokens", "Tokens left before the hard cap", labels=["tenant", "feature"]
        )
        spend = GaugeMetricFamily(
            "melmastoon_budget_spend_usd", "Spend in the current period (USD)", labels=["tenant", "feature"]
        )
        try:
            counters = BudgetCounters()
            with metrics_read_access():
                from django.utils import timezone

                periods = list(
                    BudgetPeriod.objects.select_related("budget").filter(
                        starts_at__lte=timezone.now(), ends_at__gt=timezone.now()
                    )
                )
            for period in periods:
                usage = counters.usage(period.id)
                labels = [str(period.tenant_id), period.budget.feature or "-"]
                used.add_metric(labels, usage.used_tokens)
                spend.add_metric(labels, usage.used_micros / 1_000_000)
                if period.budget.token_limit is not None:
                    limit = period.budget.token_limit * period.budget.hard_cap_pct // 100
                    remaining.add_metric(labels, max(0, limit - usage.used_tokens - usage.reserved_tokens))
        except Exception:  # a scrape must not fail because the database or Redis blinked
            logger.warning("budget gauges unavailable for this scrape")
        yield used
        yield remaining
        yield spend


register_scrape_collector(BudgetCollector())
