from __future__ import annotations

import uuid
from decimal import Decimal

from django.forms.models import model_to_dict

from budgets.counters import BudgetCounters
from budgets.models import Budget
from melmastoon_ai.registry_cache import RegistryCache
from melmastoon_ai.tenancy.context import tenant_context

# A tenant's enabled budgets, read on every request before the model call: Redis and a process
# copy for two minutes, invalidated when any budget changes (budgets/signals.py).
BUDGET_CACHE = RegistryCache("budgets")
_BUDGET_FIELDS = ["id", "feature", "period", "token_limit", "cost_limit_usd", "soft_cap_pct", "hard_cap_pct", "enabled"]


def budgets_for(*, tenant_id: uuid.UUID, feature: str) -> list[Budget]:
    """The enabled budgets a call of `feature` is charged to: the tenant's and the feature's."""

    def load() -> list[dict]:
        with tenant_context(tenant_id):
            return [
                model_to_dict(budget, fields=_BUDGET_FIELDS) | {"id": str(budget.id)}
                for budget in Budget.objects.filter(tenant_id=tenant_id, enabled=True).order_by("feature")
            ]

    def build(rows: list[dict]) -> list[Budget]:
        return [
            Budget(
                tenant_id=tenant_id,
                **row
                | {"cost_limit_usd": None if row["cost_limit_usd"] is None else Decimal(str(row["cost_limit_usd"]))},
            )
            for row in rows
        ]

    return [
        budget for budget in BUDGET_CACHE.get_or_load(str(tenant_id), load, build) if budget.feature in ("", feature)
    ]


def budget_overview(*, tenant_id: uuid.UUID) -> list[dict]:
    """Each budget of the tenant with its current period: limits, caps, used and reserved."""
    from budgets.services import period_open, period_usage

    counters = BudgetCounters()
    rows = []
    for budget in Budget.objects.filter(tenant_id=tenant_id).order_by("feature"):
        period = period_open(budget=budget)
        usage = period_usage(period, counters)
        rows.append(
            {
                "id": str(budget.id),
                "feature": budget.feature or None,
                "period": budget.period,
                "period_start": period.starts_at,
                "period_end": period.ends_at,
                "enabled": budget.enabled,
                "token_limit": budget.token_limit,
                "cost_limit_usd": budget.cost_limit_usd,
                "soft_cap_pct": budget.soft_cap_pct,
                "hard_cap_pct": budget.hard_cap_pct,
                "used_tokens": usage.used_tokens,
                "reserved_tokens": usage.reserved_tokens,
                "used_cost_usd": f"{usage.used_micros / 1_000_000:.6f}",
                "reserved_cost_usd": f"{usage.reserved_micros / 1_000_000:.6f}",
                "soft_cap_reached": period.soft_cap_notified_at is not None,
                "hard_cap_reached": period.hard_cap_notified_at is not None,
            }
        )
    return rows
