"""The daily rollup of ai_calls_fact behind the usage report (issue 19).

`ai_calls_daily` holds one row per (tenant, day, capability, feature, model, provider) of every
day up to the high-water mark `UsageRollupState.rolled_through`: calls, tokens, cost, cache hits,
degraded and fallback counts, and a latency histogram. The report (selectors.usage_report) reads
those rows for the days the rollup has closed and the raw facts for the later days (today), and
merges the two, so a report over 30 days of a busy tenant reads some hundreds of rows instead of
a million facts.

The latency histogram: bucket `i` holds the latencies `BOUNDS[i] <= ms < BOUNDS[i + 1]`; one
millisecond wide below 64 ms (exact), then 32 buckets per power of two (each at most 1/32 of its
lower bound wide). Percentiles are read from the merged histogram the same way whether the buckets
came from the rollup or were counted from raw facts, so a report's answer does not depend on how
far the rollup has got; within a bucket wider than 1 ms the value is interpolated (so p50/p95 are
within one bucket, about 3 %, of `percentile_cont` over the raw latencies).

`usage_rollup_days` (the beat task `capabilities.usage_rollup`, hourly) recomputes every day from
the high-water mark itself (the last closed day once more: a call that straddled midnight commits
its fact after the day closed) up to yesterday, each day replaced in one transaction under an
advisory lock, and moves the mark. `manage.py usage_rollup --from --to` rebuilds a range.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Mapping

from django.db import connection, transaction
from django.utils import timezone

from capabilities.models import UsageDaily, UsageFact, UsageRollupState
from melmastoon_ai.tenancy.context import platform_access

EXACT_BELOW = 64
SUB_BUCKETS = 32  # per power of two above EXACT_BELOW
MAX_LATENCY_MS = 2**31 - 1  # latency_ms is a PostgreSQL integer


def _bounds() -> tuple[int, ...]:
    bounds = list(range(EXACT_BELOW))
    base = EXACT_BELOW
    while base <= MAX_LATENCY_MS:
        width = base // SUB_BUCKETS
        bounds += [base + width * step for step in range(SUB_BUCKETS)]
        base *= 2
    return tuple(bounds)


BOUNDS = _bounds()  # the lower bound of each bucket, ascending
BOUNDS_SQL = "ARRAY[" + ",".join(str(bound) for bound in BOUNDS[1:]) + "]::integer[]"
# width_bucket(ms, BOUNDS[1:]) counts the bounds above 0 that are <= ms: the bucket's index
BUCKET_SQL = f"width_bucket(%(column)s, {BOUNDS_SQL})"
LOCK_KEY = 7_019_001  # pg_advisory_xact_lock: one rollup writer at a time
MAX_DAYS_PER_RUN = 62


def bucket_of(latency_ms: int) -> int:
    return bisect.bisect_right(BOUNDS, latency_ms) - 1


def bucket_sql(column: str) -> str:
    return BUCKET_SQL % {"column": column}


def _value_at(ordered: list[tuple[int, int]], rank: int) -> float:
    """The latency of the `rank`-th call (0-based) of a histogram: exact in a 1 ms bucket, else
    spread evenly over the bucket from its lower bound."""
    seen = 0
    for bucket, count in ordered:
        if rank < seen + count:
            low = BOUNDS[bucket]
            width = (BOUNDS[bucket + 1] if bucket + 1 < len(BOUNDS) else MAX_LATENCY_MS + 1) - low
            return low if width == 1 else low + width * (rank - seen) / count
        seen += count
    raise ValueError("rank beyond the histogram")


def percentile(histogram: Mapping[int, int], fraction: float) -> float | None:
    """`percentile_cont(fraction)` read from a histogram {bucket: calls}; None when empty."""
    ordered = sorted((bucket, count) for bucket, count in histogram.items() if count)
    total = sum(count for _, count in ordered)
    if not total:
        return None
    position = fraction * (total - 1)
    lower = int(position)
    low_value = _value_at(ordered, lower)
    if position == lower:
        return float(low_value)
    return low_value + (position - lower) * (_value_at(ordered, lower + 1) - low_value)


# --- the high-water mark ------------------------------------------------------------------------


def rolled_through() -> dt.date | None:
    """The last day the rollup holds (None: nothing rolled up; every day is read raw). A
    platform-wide row without tenant data, readable in any transaction."""
    return UsageRollupState.objects.filter(pk=1).values_list("rolled_through", flat=True).first()


# --- the job ------------------------------------------------------------------------------------

_FACT = UsageFact._meta.db_table
_DAILY = UsageDaily._meta.db_table
_ROLL_DAY_SQL = (
    f"INSERT INTO {_DAILY} (tenant_id, day, capability, feature, model, provider, calls, input_tokens, "
    "output_tokens, cost_usd, cache_hits, degraded, fallbacks, latency_buckets, latency_counts) "
    "SELECT tenant_id, day, capability, feature, model, provider, sum(calls), sum(input_tokens), "
    "sum(output_tokens), sum(cost_usd), sum(cache_hits), sum(degraded), sum(fallbacks), "
    "array_agg(bucket ORDER BY bucket), array_agg(calls ORDER BY bucket) FROM ("
    f"SELECT tenant_id, day, capability, feature, model, provider, {bucket_sql('latency_ms')} AS bucket, "
    "count(*) AS calls, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, "
    "sum(cost_usd) AS cost_usd, count(*) FILTER (WHERE cache_hit) AS cache_hits, "
    "count(*) FILTER (WHERE outcome = 'degraded') AS degraded, count(*) FILTER (WHERE fallback_used) AS fallbacks "
    f"FROM {_FACT} WHERE day = %s GROUP BY 1, 2, 3, 4, 5, 6, 7) AS buckets GROUP BY 1, 2, 3, 4, 5, 6"
)


def usage_roll_day(day: dt.date) -> int:
    """Replace the rollup rows of `day` (every tenant) with the sums of its facts, in one
    transaction on the audited platform path. Returns the rows written."""
    with (
        platform_access(actor="capabilities.usage_rollup", reason=f"roll up usage of {day.isoformat()}"),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        cursor.execute(f"DELETE FROM {_DAILY} WHERE day = %s", [day])
        cursor.execute(_ROLL_DAY_SQL, [day])
        return cursor.rowcount


def usage_rollup_days(
    *, today: dt.date | None = None, day_from: dt.date | None = None, day_to: dt.date | None = None
) -> dict:
    """Roll up the closed days not yet rolled up (from the high-water mark itself, recomputed once
    more, to yesterday; at most MAX_DAYS_PER_RUN per run: the next run goes on), or, with
    `day_from`/`day_to`, rebuild that range (it moves the mark only forward, and never past
    yesterday). Each day is its own transaction; the mark moves after each one, so a killed run
    resumes where it stopped."""
    today = today or timezone.now().date()
    yesterday = today - dt.timedelta(days=1)
    mark = rolled_through()
    first = None
    if mark is None:
        with platform_access(actor="capabilities.usage_rollup", reason="find the first day of usage"):
            first = UsageFact.objects.order_by("day").values_list("day", flat=True).first()
    if day_from is None:
        day_from = mark if mark is not None else first
        if day_from is None:
            return {"days": 0, "rows": 0, "rolled_through": None}
        day_to = min(day_to or yesterday, day_from + dt.timedelta(days=MAX_DAYS_PER_RUN - 1))
    day_to = min(day_to or yesterday, yesterday)
    days = rows = 0
    day = day_from
    while day <= day_to:
        with transaction.atomic():
            rows += usage_roll_day(day)
            # the mark only ever covers a gapless run of rolled days: every day up to it is rolled up
            if (mark is None and (first is None or first >= day)) or (
                mark is not None and day == mark + dt.timedelta(days=1)
            ):
                UsageRollupState.objects.update_or_create(pk=1, defaults={"rolled_through": day})
                mark = day
        days += 1
        day += dt.timedelta(days=1)
    return {"days": days, "rows": rows, "rolled_through": mark.isoformat() if mark else None}
