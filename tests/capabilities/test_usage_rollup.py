"""The usage report's daily rollup (issue 19): the report over rolled-up days answers exactly what
it answers from the raw facts, the percentiles stay within one histogram bucket of
percentile_cont, today is read live, the job resumes from its high-water mark, and one tenant's
report never counts another's rollup rows (as the app role, under RLS)."""

from __future__ import annotations

import datetime as dt
import random
import statistics
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from capabilities.models import UsageDaily, UsageFact, UsageRollupState
from capabilities.reporting.rollup import BOUNDS, bucket_of, percentile, rolled_through, usage_rollup_days
from capabilities.reporting.selectors import TenantFilter, usage_report
from melmastoon_ai.tenancy.context import platform_access, tenant_context
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db
DAY0 = dt.date(2026, 10, 1)
TODAY = DAY0 + dt.timedelta(days=9)
GROUPINGS = (["day"], ["day", "capability"], ["capability", "model"], ["provider"], ["feature", "provider"], [])


def random_facts(tenant, rng: random.Random, count: int, days: int = 10) -> None:
    """`count` facts of the tenant over `days` days from DAY0 (the last one is TODAY)."""
    rows = []
    for _ in range(count):
        model, provider = rng.choice(
            [("gemini-2.5-flash", "vertex"), ("gpt-4o-mini", "openai"), ("deterministic", "deterministic")]
        )
        outcome = rng.choice(["ok", "ok", "ok", "degraded", "cached"])
        rows.append(
            UsageFact(
                tenant=tenant,
                inference=None,
                day=DAY0 + dt.timedelta(days=rng.randrange(days)),
                capability=rng.choice(["pricing.suggest", "message.draft", "review.reply"]),
                feature=rng.choice(["", "pricing", "inbox"]),
                model=model,
                provider=provider,
                input_tokens=rng.randrange(0, 5000),
                output_tokens=rng.randrange(0, 900),
                cost_usd=Decimal(rng.randrange(0, 10**6)) / Decimal(10**6),
                latency_ms=rng.choice([rng.randrange(0, 64), rng.randrange(64, 5000), rng.randrange(5000, 200000)]),
                cache_hit=outcome == "cached",
                fallback_used=rng.random() < 0.2,
                outcome=outcome,
            )
        )
    with tenant_context(tenant.id):
        UsageFact.objects.bulk_create(rows)


def report(tenant, group_by, day_from=DAY0, day_to=TODAY):
    with tenant_context(tenant.id):
        return usage_report(
            tenants=TenantFilter(tenant_ids=(tenant.id,)), day_from=day_from, day_to=day_to, group_by=group_by
        )


def test_the_report_from_the_rollup_equals_the_report_from_the_raw_facts():
    rng = random.Random(19)
    tenants = [TenantFactory(), TenantFactory()]
    for tenant in tenants:
        random_facts(tenant, rng, 900)
    windows = [
        (DAY0, TODAY),
        (DAY0 + dt.timedelta(days=2), DAY0 + dt.timedelta(days=5)),
        (DAY0 + dt.timedelta(days=7), TODAY),
        (TODAY, TODAY),
    ]
    raw = {
        (str(tenant.id), ",".join(group_by), window): report(tenant, group_by, *window)
        for tenant in tenants
        for group_by in GROUPINGS
        for window in windows
    }
    assert rolled_through() is None  # nothing rolled up: all of it came from ai_calls_fact
    outcome = usage_rollup_days(today=TODAY)
    assert outcome["days"] == 9 and outcome["rolled_through"] == (TODAY - dt.timedelta(days=1)).isoformat()
    with platform_access(actor="test", reason="count the rollup rows"):
        assert 0 < UsageDaily.objects.count() < UsageFact.objects.count()
    for tenant in tenants:
        for group_by in GROUPINGS:
            for window in windows:
                assert report(tenant, group_by, *window) == raw[(str(tenant.id), ",".join(group_by), window)], (
                    group_by,
                    window,
                )


def test_sums_match_sql_and_percentiles_stay_within_a_bucket_of_percentile_cont():
    rng = random.Random(7)
    tenant = TenantFactory()
    random_facts(tenant, rng, 1200)
    usage_rollup_days(today=TODAY)
    rows = report(tenant, ["capability"])
    with tenant_context(tenant.id), connection.cursor() as cursor:
        cursor.execute(
            "SELECT capability, count(*), sum(input_tokens), sum(output_tokens), sum(cost_usd), "
            "count(*) FILTER (WHERE cache_hit), count(*) FILTER (WHERE outcome = 'degraded'), "
            "count(*) FILTER (WHERE fallback_used), "
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms), "
            "percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) FROM ai_calls_fact "
            "WHERE tenant_id = %s AND day BETWEEN %s AND %s GROUP BY capability ORDER BY capability",
            [tenant.id, DAY0, TODAY],
        )
        exact = cursor.fetchall()
    assert [row["capability"] for row in rows] == [row[0] for row in exact]
    for row, (_, calls, tokens_in, tokens_out, cost, hits, degraded, fallbacks, p50, p95) in zip(
        rows, exact, strict=True
    ):
        assert (
            row["calls"],
            row["tokens_input"],
            row["tokens_output"],
            row["cost_usd"],
            row["cache_hits"],
            row["degraded"],
            row["fallbacks"],
        ) == (calls, tokens_in, tokens_out, f"{cost:.6f}", hits, degraded, fallbacks)
        for approximate, truth in ((row["latency_p50_ms"], p50), (row["latency_p95_ms"], p95)):
            width = max(1, truth // 32) if truth >= 64 else 1
            assert abs(approximate - truth) <= width + 1, (approximate, truth)


def test_histogram_percentiles_are_exact_below_64_ms_and_interpolate_like_percentile_cont():
    values = [3, 5, 10, 20, 30, 40, 50, 60, 61, 63]
    histogram: dict[int, int] = {}
    for value in values:
        histogram[bucket_of(value)] = histogram.get(bucket_of(value), 0) + 1
    assert percentile(histogram, 0.5) == statistics.median(values)
    assert percentile({}, 0.5) is None
    assert all(BOUNDS[bucket_of(ms)] <= ms < BOUNDS[bucket_of(ms) + 1] for ms in (0, 63, 64, 65, 1000, 99999))
    assert BOUNDS[bucket_of(100_000) + 1] - BOUNDS[bucket_of(100_000)] <= 100_000 / 32


def test_today_is_read_live_and_the_job_resumes_from_its_mark():
    tenant = TenantFactory()
    random_facts(tenant, random.Random(3), 300)
    usage_rollup_days(today=TODAY)
    before = report(tenant, ["day"])
    with tenant_context(tenant.id):  # a call today, after the rollup ran
        UsageFact.objects.create(
            tenant=tenant,
            day=TODAY,
            capability="pricing.suggest",
            model="m",
            provider="p",
            input_tokens=1,
            output_tokens=1,
            latency_ms=7,
            outcome="ok",
        )
    after = report(tenant, ["day"])
    assert after[-1]["day"] == TODAY.isoformat()
    assert after[-1]["calls"] == (before[-1]["calls"] if before[-1]["day"] == TODAY.isoformat() else 0) + 1
    assert after[:-1] == [row for row in before if row["day"] != TODAY.isoformat()]
    # the next day's run re-rolls the last closed day once more and rolls up the new closed day
    again = usage_rollup_days(today=TODAY + dt.timedelta(days=1))
    assert again["days"] == 2 and rolled_through() == TODAY
    assert report(tenant, ["day"]) == after
    assert usage_rollup_days(today=TODAY + dt.timedelta(days=1))["days"] == 1  # idempotent: same rows
    assert report(tenant, ["day"]) == after


def test_a_rebuilt_range_never_moves_the_mark_over_a_gap():
    tenant = TenantFactory()
    random_facts(tenant, random.Random(4), 200)
    usage_rollup_days(today=TODAY, day_from=DAY0 + dt.timedelta(days=4), day_to=DAY0 + dt.timedelta(days=6))
    assert rolled_through() is None  # days 0-3 are not rolled up: they stay raw
    usage_rollup_days(today=TODAY)
    assert rolled_through() == TODAY - dt.timedelta(days=1)
    assert UsageRollupState.objects.count() == 1


def test_a_tenant_never_reads_another_tenants_rollup_rows():
    mine, theirs = TenantFactory(), TenantFactory()
    random_facts(theirs, random.Random(5), 200)
    usage_rollup_days(today=TODAY)
    assert report(mine, []) == [
        {
            "calls": 0,
            "tokens_input": 0,
            "tokens_output": 0,
            "cost_usd": "0.000000",
            "cache_hits": 0,
            "degraded": 0,
            "fallbacks": 0,
            "latency_p50_ms": None,
            "latency_p95_ms": None,
            "hitl_gates": 0,
        }
    ]
    with tenant_context(mine.id):  # RLS: the rows are not even visible, whatever the filter says
        assert UsageDaily.objects.count() == 0
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM ai_calls_daily WHERE tenant_id = %s", [theirs.id])
            assert cursor.fetchone()[0] == 0


def test_the_command_rolls_up_and_refuses_a_bad_range(capsys):
    tenant = TenantFactory()
    random_facts(tenant, random.Random(6), 50)
    call_command("usage_rollup")
    assert rolled_through() is not None
    with pytest.raises(Exception, match="not a day"):
        call_command("usage_rollup", "--from", "yesterday")
