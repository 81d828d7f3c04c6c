"""The cost and usage dashboard's figures and charts, for the admin (every tenant, or one) and for
a hotel's own console: per-day series, per capability and model, latency p95 against each
capability's target, and the budgets' burn-down with the forecast end-of-period spend."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.utils import timezone

from budgets.selectors import budget_overview
from capabilities.reporting.selectors import TenantFilter, usage_report
from capabilities.selectors import capability_list
from hitl.models import HitlGate
from melmastoon_ai.charts import Series, bar_chart, budget_gauge, line_chart

DASHBOARD_DAYS = 30


def dashboard_window(query) -> tuple[dt.date, dt.date]:
    """The days a dashboard shows, from `from` and `to` in a query (`YYYY-MM-DD`): the last
    DASHBOARD_DAYS days ending `to` (default today) when `from` is missing, unreadable, after `to`
    or more than 366 days before it."""
    today = timezone.now().date()
    try:
        day_to = dt.date.fromisoformat(query.get("to") or today.isoformat())
        day_from = dt.date.fromisoformat(query.get("from") or "")
    except ValueError:
        day_to, day_from = today, None
    if day_from is None or day_from > day_to or (day_to - day_from).days > 366:
        day_from = day_to - dt.timedelta(days=DASHBOARD_DAYS - 1)
    return day_from, day_to


def _share(part: int, whole: int) -> float:
    return 100 * part / whole if whole else 0.0


def _days(day_from: dt.date, day_to: dt.date) -> list[dt.date]:
    return [day_from + dt.timedelta(days=offset) for offset in range((day_to - day_from).days + 1)]


def daily_charts(rows: list[dict], day_from: dt.date, day_to: dt.date) -> dict:
    by_day = {row["day"]: row for row in rows}
    days = [day.isoformat() for day in _days(day_from, day_to)]
    series = [by_day.get(day) for day in days]
    labels = [day[5:] for day in days]  # MM-DD

    def values(key):
        return [row[key] if row else 0 for row in series]

    cost = [float(Decimal(row["cost_usd"])) if row else 0.0 for row in series]
    return {
        "calls": bar_chart(labels, values("calls"), title="Calls per day"),
        "cost": bar_chart(labels, cost, title="Cost per day (USD)", unit="USD"),
        "tokens": line_chart(
            labels,
            [Series("input", values("tokens_input"), "s1"), Series("output", values("tokens_output"), "s2")],
            title="Tokens per day",
        ),
        "quality": line_chart(
            labels,
            [
                Series("degraded", [_share(row["degraded"], row["calls"]) if row else None for row in series], "s1"),
                Series(
                    "cache hits", [_share(row["cache_hits"], row["calls"]) if row else None for row in series], "s2"
                ),
            ],
            title="Degraded share and cache hit rate per day",
            unit="%",
        ),
    }


def capability_rows(rows: list[dict]) -> list[dict]:
    """Per capability, with its latency target and whether p95 is over it."""
    targets = {spec.id: spec.latency_target_ms for spec in capability_list(include_disabled=True)}
    result = []
    for row in rows:
        target = targets.get(row["capability"])
        p95 = row["latency_p95_ms"]
        result.append(
            row
            | {
                "latency_target_ms": target,
                "over_target": bool(target and p95 and p95 > target),
                "degraded_pct": _share(row["degraded"], row["calls"]),
                "cache_hit_pct": _share(row["cache_hits"], row["calls"]),
            }
        )
    return result


def capability_charts(rows: list[dict]) -> dict:
    measured = [row for row in rows if row["latency_target_ms"] and row["latency_p95_ms"] is not None]
    return {
        "latency": bar_chart(
            [row["capability"] for row in measured],
            [100 * row["latency_p95_ms"] / row["latency_target_ms"] for row in measured],
            title="Latency p95 as % of the capability's target",
            unit="%",
            target=100,
            target_label="the target",
        ),
        "cost": bar_chart(
            [row["capability"] for row in rows],
            [float(Decimal(row["cost_usd"])) for row in rows],
            title="Cost per capability (USD)",
            unit="USD",
        ),
    }


def model_charts(rows: list[dict]) -> dict:
    labels = [f"{row['provider']}/{row['model']}" for row in rows]
    return {
        "calls": bar_chart(labels, [row["calls"] for row in rows], title="Calls per model"),
        "cost": bar_chart(
            labels, [float(Decimal(row["cost_usd"])) for row in rows], title="Cost per model (USD)", unit="USD"
        ),
    }


def budget_burndown(*, tenant_id: uuid.UUID, now: dt.datetime | None = None) -> list[dict]:
    """Each budget's current period: spend so far against its soft and hard caps, and the spend
    forecast at the period's end if it goes on at the rate so far (linear)."""
    now = now or timezone.now()
    gauges = []
    for budget in budget_overview(tenant_id=tenant_id):
        start, end = budget["period_start"], budget["period_end"]
        elapsed = max((now - start).total_seconds(), 1.0) / max((end - start).total_seconds(), 1.0)
        for unit, used, limit in (
            ("USD", float(budget["used_cost_usd"]), budget["cost_limit_usd"]),
            ("tokens", float(budget["used_tokens"]), budget["token_limit"]),
        ):
            if limit is None:
                continue
            forecast = used / min(elapsed, 1.0)
            name = f"{budget['feature'] or 'whole tenant'} · {budget['period']} · {unit}"
            gauges.append(
                {
                    "name": name,
                    "used": used,
                    "limit": float(limit),
                    "forecast": forecast,
                    "over_hard": forecast > float(limit) * budget["hard_cap_pct"] / 100,
                    "svg": budget_gauge(
                        title=name,
                        used=used,
                        limit=float(limit),
                        soft_pct=budget["soft_cap_pct"],
                        hard_pct=budget["hard_cap_pct"],
                        forecast=forecast,
                        unit="USD" if unit == "USD" else "",
                    ),
                }
            )
    return gauges


def dashboard(*, tenants: TenantFilter, day_from: dt.date, day_to: dt.date) -> dict:
    """Everything the dashboard page shows over [day_from, day_to]; budgets only for one tenant."""
    window = {"tenants": tenants, "day_from": day_from, "day_to": day_to}
    total = usage_report(group_by=[], **window)[0]
    capabilities = capability_rows(usage_report(group_by=["capability"], **window))
    models = usage_report(group_by=["provider", "model"], **window)
    one_tenant = tenants.tenant_ids is not None and len(tenants.tenant_ids) == 1
    return {
        "total": total
        | {
            "degraded_pct": _share(total["degraded"], total["calls"]),
            "cache_hit_pct": _share(total["cache_hits"], total["calls"]),
        },
        "daily": daily_charts(usage_report(group_by=["day"], **window), day_from, day_to),
        "capabilities": capabilities,
        "capability_charts": capability_charts(capabilities),
        "models": models,
        "model_charts": model_charts(models),
        "budgets": budget_burndown(tenant_id=tenants.tenant_ids[0]) if one_tenant else [],
    }


def today_tiles(*, tenants: TenantFilter) -> list[dict]:
    """The admin home's first row: today's calls, spend, degraded share and the open gates."""
    today = timezone.now().date()
    total = usage_report(tenants=tenants, day_from=today, day_to=today, group_by=[])[0]
    open_gates = tenants.scoped(HitlGate).filter(status__in=HitlGate.OPEN_STATUSES).count()
    return [
        {"what": "calls today", "figure": f"{total['calls']:,}"},
        {"what": "spend today (USD)", "figure": total["cost_usd"]},
        {"what": "degraded today", "figure": f"{_share(total['degraded'], total['calls']):.1f}%"},
        {"what": "open HITL gates", "figure": f"{open_gates:,}"},
    ]


def admin_home_panel(request) -> dict:
    """The admin home's "today" panel, every tenant but the eval tenant (registered in apps.py)."""
    from django.conf import settings
    from django.urls import reverse

    tenants = TenantFilter(tenant_ids=None, excluded=(uuid.UUID(settings.EVAL_TENANT_ID),))
    return {
        "title": "Today, every hotel (UTC)",
        "tiles": today_tiles(tenants=tenants),
        "link": reverse("admin:capabilities_usagefact_changelist"),
    }
