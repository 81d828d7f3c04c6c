from __future__ import annotations

import uuid

from budgets.counters import BudgetCounters
from budgets.models import Budget
from budgets.services import period_open, period_usage


def budget_overview(*, tenant_id: uuid.UUID) -> list[dict]:
    """Each budget of the tenant with its current period: limits, caps, used and reserved."""
    counters = BudgetCounters()
    rows = []
    for budget in Budget.objects.filter(tenant_id=tenant_id).order_by("feature"):
        period = period_open(budget=budget)
        usage = period_usage(period, counters)
        rows.append({
            "id": str(budget.id), "feature": budget.feature or None, "period": budget.period,
            "period_start": period.starts_at, "period_end": period.ends_at, "enabled": budget.enabled,
            "token_limit": budget.token_limit, "cost_limit_usd": budget.cost_limit_usd,
            "soft_cap_pct": budget.soft_cap_pct, "hard_cap_pct": budget.hard_cap_pct,
            "used_tokens": usage.used_tokens, "reserved_tokens": usage.reserved_tokens,
            "used_cost_usd": f"{usage.used_micros / 1_000_000:.6f}",
            "reserved_cost_usd": f"{usage.reserved_micros / 1_000_000:.6f}",
            "soft_cap_reached": period.soft_cap_notified_at is not None,
            "hard_cap_reached": period.hard_cap_notified_at is not None,
        })
    return rows
