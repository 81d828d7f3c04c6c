"""Reads behind the usage API, the inference list and the dashboards.

Every read names its tenants (`tenant_ids`; None only on the audited platform path, with the
tenants it leaves out); row-level security holds underneath either way.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Q, QuerySet

from capabilities.models import InferenceRecord, UsageDaily, UsageFact
from capabilities.reporting.rollup import bucket_sql, percentile, rolled_through
from hitl.models import HitlGate

# group_by key -> column of ai_calls_fact; the only names that reach the SQL text.
GROUP_KEYS = {"day": "day", "feature": "feature", "capability": "capability", "model": "model", "provider": "provider"}
METRICS = (
    "calls",
    "tokens_input",
    "tokens_output",
    "cost_usd",
    "cache_hits",
    "degraded",
    "fallbacks",
    "latency_p50_ms",
    "latency_p95_ms",
    "hitl_gates",
)


@dataclass(frozen=True)
class TenantFilter:
    """`tenant_ids` the tenants read, or None for every tenant but `excluded` (platform path)."""

    tenant_ids: tuple[uuid.UUID, ...] | None
    excluded: tuple[uuid.UUID, ...] = ()

    def sql(self, alias: str) -> tuple[str, list]:
        if self.tenant_ids is not None:
            return f"{alias}.tenant_id = ANY(%s::uuid[])", [[str(pk) for pk in self.tenant_ids]]
        return f"NOT ({alias}.tenant_id = ANY(%s::uuid[]))", [[str(pk) for pk in self.excluded]]

    def scoped(self, model) -> QuerySet:
        if self.tenant_ids is not None:
            return model.objects.filter(tenant_id__in=self.tenant_ids)
        return model.objects.exclude(tenant_id__in=self.excluded)


def usage_report(*, tenants: TenantFilter, day_from: dt.date, day_to: dt.date, group_by: Sequence[str]) -> list[dict]:
    """One row per group over [day_from, day_to]: calls, tokens, cost, cache hits, degraded and
    fallback counts, p50/p95 latency and the HITL gates those calls opened. The days up to the
    rollup's high-water mark are read from ai_calls_daily, the later ones (today) from the raw
    facts (capabilities/reporting/rollup.py); latency percentiles come from the merged histogram
    either way."""
    columns = [GROUP_KEYS[key] for key in group_by]
    mark = rolled_through()
    rolled_to = min(day_to, mark) if mark is not None and mark >= day_from else None
    raw_from = max(day_from, rolled_to + dt.timedelta(days=1)) if rolled_to is not None else day_from
    sums, histograms = _usage_parts(tenants, columns, day_from, rolled_to, raw_from, day_to)
    gates = _gates_by_group(tenants, day_from, day_to, columns)
    rows = []
    for row in sums:
        keys, values = tuple(row[: len(columns)]), row[len(columns) :]
        histogram = histograms.get(keys, {})
        p50, p95 = percentile(histogram, 0.5), percentile(histogram, 0.95)
        rows.append(
            dict(zip(group_by, (_key(value) for value in keys), strict=True))
            | {
                "calls": int(values[0] or 0),
                "tokens_input": int(values[1] or 0),
                "tokens_output": int(values[2] or 0),
                "cost_usd": f"{Decimal(values[3] or 0):.6f}",
                "cache_hits": int(values[4] or 0),
                "degraded": int(values[5] or 0),
                "fallbacks": int(values[6] or 0),
                "latency_p50_ms": _ms(p50),
                "latency_p95_ms": _ms(p95),
                "hitl_gates": gates.get(keys, 0),
            }
        )
    return rows


def _usage_parts(
    tenants: TenantFilter,
    columns: list[str],
    day_from: dt.date,
    rolled_to: dt.date | None,
    raw_from: dt.date,
    day_to: dt.date,
) -> tuple[list, dict]:
    """The sums per group (ordered by the group keys) and the latency histogram per group, over
    the rollup's rows of [day_from, rolled_to] and the facts of [raw_from, day_to]."""
    keys = "".join(f"{column}, " for column in columns)
    group = f"GROUP BY {', '.join(columns)}" if columns else ""
    order = f"ORDER BY {', '.join(columns)}" if columns else ""
    daily_where, daily_params = tenants.sql("d")
    fact_where, fact_params = tenants.sql("f")
    daily, fact = UsageDaily._meta.db_table, UsageFact._meta.db_table
    sum_parts, histogram_parts, sum_params, histogram_params = [], [], [], []
    if rolled_to is not None:
        sum_parts.append(
            f"SELECT {''.join(f'd.{c}, ' for c in columns)}d.calls, d.input_tokens, d.output_tokens, "
            "d.cost_usd, d.cache_hits, d.degraded, d.fallbacks "
            f"FROM {daily} d WHERE {daily_where} AND d.day BETWEEN %s AND %s"
        )
        histogram_parts.append(
            f"SELECT {''.join(f'd.{c}, ' for c in columns)}h.bucket, h.calls FROM {daily} d "
            "CROSS JOIN LATERAL unnest(d.latency_buckets, d.latency_counts) AS h(bucket, calls) "
            f"WHERE {daily_where} AND d.day BETWEEN %s AND %s"
        )
        sum_params += [*daily_params, day_from, rolled_to]
        histogram_params += [*daily_params, day_from, rolled_to]
    if raw_from <= day_to:
        raw_group = f"GROUP BY {', '.join(f'f.{c}' for c in columns)}" if columns else ""
        sum_parts.append(
            f"SELECT {''.join(f'f.{c}, ' for c in columns)}count(*), sum(f.input_tokens), "
            "sum(f.output_tokens), sum(f.cost_usd), count(*) FILTER (WHERE f.cache_hit), "
            "count(*) FILTER (WHERE f.outcome = 'degraded'), count(*) FILTER (WHERE f.fallback_used) "
            f"FROM {fact} f WHERE {fact_where} AND f.day BETWEEN %s AND %s {raw_group}"
        )
        positions = ", ".join(str(position) for position in range(1, len(columns) + 2))
        histogram_parts.append(
            f"SELECT {''.join(f'f.{c}, ' for c in columns)}{bucket_sql('f.latency_ms')}, count(*) "
            f"FROM {fact} f WHERE {fact_where} AND f.day BETWEEN %s AND %s GROUP BY {positions}"
        )
        sum_params += [*fact_params, raw_from, day_to]
        histogram_params += [*fact_params, raw_from, day_to]
    names = "".join(f"{column}, " for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {keys}sum(calls), sum(input_tokens), sum(output_tokens), sum(cost_usd), "
            "sum(cache_hits), sum(degraded), sum(fallbacks) FROM ("
            + " UNION ALL ".join(sum_parts)
            + f") AS parts({names}calls, input_tokens, output_tokens, cost_usd, cache_hits, degraded, "
            f"fallbacks) {group} {order}",
            sum_params,
        )
        sums = cursor.fetchall()
        cursor.execute(
            f"SELECT {keys}bucket, sum(calls) FROM ("
            + " UNION ALL ".join(histogram_parts)
            + f") AS parts({names}bucket, calls) GROUP BY {keys}bucket",
            histogram_params,
        )
        histograms: dict[tuple, dict[int, int]] = {}
        for row in cursor.fetchall():
            histograms.setdefault(tuple(row[: len(columns)]), {})[row[len(columns)]] = int(row[-1])
    return sums, histograms


def _gates_by_group(tenants: TenantFilter, day_from: dt.date, day_to: dt.date, columns: list[str]) -> dict:
    """HITL gates opened by the calls of each group: few rows, so the gates are read first (opened
    since the window's first day: a gate opens after its call) and their facts then looked up by
    inference. Joined the other way round, the planner scans every fact of the window."""
    select_keys = "".join(f"f.{column}, " for column in columns)
    group = f"GROUP BY {', '.join(f'f.{c}' for c in columns)}" if columns else ""
    gate_where, gate_params = tenants.sql("g")
    fact_where, fact_params = tenants.sql("f")
    since = dt.datetime.combine(day_from, dt.time(), tzinfo=dt.UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT g.inference_id FROM {HitlGate._meta.db_table} g WHERE {gate_where} AND g.opened_at >= %s",
            [*gate_params, since],
        )
        inferences = [str(row[0]) for row in cursor.fetchall()]
        if not inferences:
            return {}
        cursor.execute(
            f"SELECT {select_keys}count(*) FROM {UsageFact._meta.db_table} f WHERE {fact_where} "
            f"AND f.inference_id = ANY(%s::uuid[]) AND f.day BETWEEN %s AND %s {group}",
            [*fact_params, inferences, day_from, day_to],
        )
        return {tuple(row[:-1]): row[-1] for row in cursor.fetchall()}


def _key(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def _ms(value) -> int | None:
    return None if value is None else round(value)


# --- the inference list ---------------------------------------------------------------------

SUMMARY_FIELDS = (
    "id",
    "tenant_id",
    "created_at",
    "request_id",
    "capability",
    "capability_version",
    "feature",
    "provider",
    "model",
    "degraded",
    "cache_hit",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "latency_ms",
    "context",
)


@dataclass(frozen=True)
class InferenceFilters:
    capability: str = ""
    provider: str = ""
    model: str = ""
    feature: str = ""
    degraded: bool | None = None
    cache_hit: bool | None = None
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None
    subject_ref: str = ""


def inferences_filtered(*, tenants: TenantFilter, filters: InferenceFilters) -> QuerySet[InferenceRecord]:
    """The records matching `filters`, newest first (ties broken by id)."""
    query = tenants.scoped(InferenceRecord)
    for name in ("capability", "provider", "model", "feature"):
        if getattr(filters, name):
            query = query.filter(**{name: getattr(filters, name)})
    for name in ("degraded", "cache_hit"):
        if getattr(filters, name) is not None:
            query = query.filter(**{name: getattr(filters, name)})
    if filters.created_from is not None:
        query = query.filter(created_at__gte=filters.created_from)
    if filters.created_to is not None:
        query = query.filter(created_at__lt=filters.created_to)
    if filters.subject_ref:
        query = query.filter(context__subject_ref=filters.subject_ref)
    return query.order_by("-created_at", "-id")


def inference_page(
    *, tenants: TenantFilter, filters: InferenceFilters, after: dict | None, limit: int
) -> tuple[list[dict], dict | None]:
    """One page of summaries (never the input or output) and the position of its last row when
    more follow. `after`: {"created_at", "id"} of the previous page's last row."""
    query = inferences_filtered(tenants=tenants, filters=filters)
    if after is not None:
        moment, pk = dt.datetime.fromisoformat(after["created_at"]), uuid.UUID(after["id"])
        query = query.filter(Q(created_at__lt=moment) | Q(created_at=moment, id__lt=pk))
    rows = list(query.values(*SUMMARY_FIELDS)[: limit + 1])
    gates = dict(
        tenants.scoped(HitlGate)
        .filter(inference_id__in=[row["id"] for row in rows[:limit]])
        .values_list("inference_id", "status")
    )
    items = [_summary(row, gates.get(row["id"])) for row in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    return items, None if last is None else {"created_at": last["created_at"].isoformat(), "id": str(last["id"])}


def _summary(row: dict, gate_status: str | None) -> dict:
    context = row["context"] if isinstance(row["context"], dict) else {}
    return {
        "id": str(row["id"]),
        "tenant_id": str(row["tenant_id"]),
        "created_at": row["created_at"].isoformat(),
        "request_id": row["request_id"],
        "capability": row["capability"],
        "capability_version": row["capability_version"],
        "feature": row["feature"],
        "provider": row["provider"],
        "model": row["model"],
        "degraded": row["degraded"],
        "cache_hit": row["cache_hit"],
        "tokens": {"input": row["input_tokens"], "output": row["output_tokens"]},
        "cost_usd": f"{row['cost_usd']:.6f}",
        "latency_ms": row["latency_ms"],
        "subject_ref": context.get("subject_ref") or None,
        "hitl_status": gate_status,
    }
