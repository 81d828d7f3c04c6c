"""The usage report over a large ai_calls_fact (issue 19): one tenant's 30 days out of --facts
rows (default 1,000,000) plus --other-facts rows of other tenants, through the selector behind
GET /api/v1/ai/usage (capabilities/reporting/selectors.py), as the app role under RLS.

Prints, per group_by, the median p50/p95 of --runs runs of --queries queries each, first with
nothing rolled up (every fact read raw: what the report did before the rollup), then after the
rollup job (capabilities/reporting/rollup.py) closed the 29 past days (today still read raw);
the time of the rollup job; the sizes of the two tables; with --index-study, the plan of one raw
query and what a covering index would weigh and cost a bulk insert (the alternative
docs/benchmarks.md weighs and rejects).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
import uuid

from bench.stack import infrastructure

GROUPINGS = (["day"], ["day", "capability"], ["capability", "model"], ["provider"], [])
CAPABILITIES = (
    "pricing.suggest",
    "message.draft",
    "upsell.recommend",
    "review.summarize",
    "translation.draft",
    "housekeeping.route",
    "anomaly.detect",
    "booking.conversion_hint",
)
MODELS = (
    "vertex/gemini-2.5-flash",
    "vertex/gemini-2.5-pro",
    "openai/gpt-4o-mini",
    "anthropic/claude-haiku",
    "deterministic/deterministic",
)
DAY0 = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=29)  # the 30 days end today: today is read raw


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _fill_sql() -> str:
    capabilities = "ARRAY[" + ",".join(f"'{name}'" for name in CAPABILITIES) + "]"
    providers = "ARRAY[" + ",".join(f"'{name.split('/')[0]}'" for name in MODELS) + "]"
    models = "ARRAY[" + ",".join(f"'{name.split('/')[1]}'" for name in MODELS) + "]"
    return (
        "INSERT INTO ai_calls_fact (tenant_id, inference_id, day, capability, feature, model, provider, "
        "input_tokens, output_tokens, cost_usd, latency_ms, cache_hit, fallback_used, outcome, created_at) "
        f"SELECT %s, NULL, %s::date + mod(i, 30), ({capabilities})[1 + mod(i, {len(CAPABILITIES)})], "
        f"'feature-' || mod(i, 12), ({models})[1 + mod(i / 7, {len(MODELS)})], "
        f"({providers})[1 + mod(i / 7, {len(MODELS)})], 200 + mod(i, 900), 20 + mod(i, 300), mod(i, 1000) / 100000.0, "
        "50 + mod(i::bigint * 7919, 3000), mod(i, 9) = 0, mod(i, 17) = 0, "
        "CASE WHEN mod(i, 23) = 0 THEN 'degraded' WHEN mod(i, 9) = 0 THEN 'cached' ELSE 'ok' END, now() "
        "FROM generate_series(1, %s) AS i ORDER BY mod(i, 30), i"  # day by day, as calls arrive
    )


def load(*, tenant_id: uuid.UUID, facts: int, other_tenants: list[uuid.UUID], other_facts: int) -> float:
    from django.db import connection

    from melmastoon_ai.tenancy.context import tenant_context

    started = time.perf_counter()
    for owner, rows in [
        (tenant_id, facts),
        *((other, other_facts // max(1, len(other_tenants))) for other in other_tenants),
    ]:
        with tenant_context(owner), connection.cursor() as cursor:
            cursor.execute(_fill_sql(), [str(owner), DAY0, rows])
    return time.perf_counter() - started


def owner_sql(statements: list[str]) -> list:
    """As the table's owner (VACUUM, sizes, plans with the index dropped): the migration role."""
    import psycopg

    results = []
    with psycopg.connect(os.environ["MIGRATION_DATABASE_URL"], autocommit=True) as conn:
        for statement in statements:
            cursor = conn.execute(statement)
            results.append(cursor.fetchall() if cursor.description else None)
    return results


def measure(tenant_id: uuid.UUID, group_by: list[str], queries: int) -> dict:
    from capabilities.reporting.selectors import TenantFilter, usage_report
    from melmastoon_ai.tenancy.context import tenant_context

    samples = []
    for _ in range(queries):
        started = time.perf_counter()
        with tenant_context(tenant_id):
            rows = usage_report(
                tenants=TenantFilter(tenant_ids=(tenant_id,)),
                day_from=DAY0,
                day_to=DAY0 + dt.timedelta(days=29),
                group_by=group_by,
            )
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "p50": _percentile(samples, 50),
        "p95": _percentile(samples, 95),
        "rows": len(rows),
        "calls": sum(row["calls"] for row in rows),
        "answer": rows,
    }


def plan(tenant_id: uuid.UUID) -> str:
    """The plan of the day,capability report as the app role sees it (RLS on)."""
    from django.db import connection

    from melmastoon_ai.tenancy.context import tenant_context

    sql = (
        "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT f.day, f.capability, count(*), sum(f.input_tokens), "
        "percentile_cont(0.95) WITHIN GROUP (ORDER BY f.latency_ms) FROM ai_calls_fact f "
        "WHERE f.tenant_id = ANY(%s::uuid[]) AND f.day BETWEEN %s AND %s GROUP BY f.day, f.capability"
    )
    with tenant_context(tenant_id), connection.cursor() as cursor:
        cursor.execute(sql, [[str(tenant_id)], DAY0, DAY0 + dt.timedelta(days=29)])
        return "\n".join(row[0] for row in cursor.fetchall())


COVERING = (
    "CREATE INDEX ai_calls_fact_covering_bench ON ai_calls_fact (tenant_id, day) INCLUDE (capability, "
    "feature, model, provider, input_tokens, output_tokens, cost_usd, latency_ms, cache_hit, fallback_used, "
    "outcome)"
)


def insert_cost(tenant_id: uuid.UUID, rows: int) -> dict:
    """Bulk insert time of `rows` facts with the table's indexes, and with a covering index added
    (the alternative docs/benchmarks.md weighs), each in a transaction rolled back."""
    fill = _fill_sql().replace("%s", "{}", 3).format(f"'{tenant_id}'", f"'{DAY0}'", rows)
    timings = {}
    for name, extra in (("the table's indexes", []), ("a covering index added", [COVERING])):
        statements = [
            "BEGIN",
            f"SELECT set_config('app.tenant_id', '{tenant_id}', true)",
            *extra,
            "SELECT clock_timestamp()",
            fill,
            "SELECT clock_timestamp()",
            "ROLLBACK",
        ]
        results = owner_sql(statements)
        stamps = [result[0][0] for result in results if result and isinstance(result[0][0], dt.datetime)]
        timings[name] = (stamps[1] - stamps[0]).total_seconds() * 1000
    return timings


def covering_index_size() -> str:
    return owner_sql(
        [
            COVERING,
            "SELECT pg_size_pretty(pg_relation_size('ai_calls_fact_covering_bench'))",
            "DROP INDEX ai_calls_fact_covering_bench",
        ]
    )[1][0][0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--facts", type=int, default=1_000_000)
    parser.add_argument("--other-facts", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-raw", action="store_true", help="measure only after the rollup")
    parser.add_argument("--index-study", action="store_true", help="also the raw plan and the covering index")
    args = parser.parse_args(argv)
    with infrastructure() as env:
        os.environ.update(env)
        import django

        django.setup()
        from melmastoon_ai.tenancy.services import tenant_create

        tenant = tenant_create(name="bench usage")
        others = [tenant_create(name=f"bench other {index}").id for index in range(4)]
        seconds = load(tenant_id=tenant.id, facts=args.facts, other_tenants=others, other_facts=args.other_facts)
        owner_sql(["VACUUM (ANALYZE) ai_calls_fact"])  # what autovacuum does after a bulk load
        print(f"loaded {args.facts:,} facts of one tenant and {args.other_facts:,} of 4 others in {seconds:.1f} s")
        from capabilities.reporting.rollup import usage_rollup_days

        answers = {}
        labels = ["raw facts only (no rollup)", "rollup for the 29 closed days, today raw"]
        for label in labels[1:] if args.skip_raw else labels:
            if label.startswith("rollup"):
                started = time.perf_counter()
                outcome = usage_rollup_days()
                print(
                    f"rollup job: {outcome['days']} days, {outcome['rows']:,} rollup rows for "
                    f"{args.facts + args.other_facts:,} facts of 5 tenants in {time.perf_counter() - started:.1f} s"
                )
                owner_sql(["VACUUM (ANALYZE) ai_calls_daily"])
            print(f"{label}:")
            for group_by in GROUPINGS:
                measure(tenant.id, group_by, 2)  # warm the cache
                runs = [measure(tenant.id, group_by, args.queries) for _ in range(args.runs)]
                key = ",".join(group_by) or "(none)"
                answers.setdefault(key, []).append(runs[0]["answer"])
                print(
                    f"  group_by={key}: p50 {statistics.median(r['p50'] for r in runs):.1f} ms, "
                    f"p95 {statistics.median(r['p95'] for r in runs):.1f} ms, {runs[0]['rows']} rows over "
                    f"{runs[0]['calls']:,} calls (median of {args.runs} runs x {args.queries} queries)"
                )
        for key, found in answers.items():
            if len(found) == 2:
                print(f"group_by={key}: the two answers are {'identical' if found[0] == found[1] else 'DIFFERENT'}")
        sizes = owner_sql(
            [
                "SELECT pg_size_pretty(pg_relation_size('ai_calls_fact')), "
                "pg_size_pretty(pg_total_relation_size('ai_calls_daily'))"
            ]
        )[0][0]
        print(f"ai_calls_fact {sizes[0]}; ai_calls_daily with its index and TOAST {sizes[1]}")
        if args.index_study:  # the covering index docs/benchmarks.md weighed and rejected (issue 19)
            print(plan(tenant.id))
            print(f"a covering (tenant, day) INCLUDE (...) index would be {covering_index_size()}")
            for name, ms in insert_cost(tenant.id, 100_000).items():
                print(f"bulk insert of 100,000 facts with {name}: {ms:.0f} ms")


if __name__ == "__main__":
    main()
