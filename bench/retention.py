"""The retention sweep's cost (issue 18): one tenant with N inference records, a share of them past
the 90-day content period, plus other tenants' records; then `tenant_retention_apply` as the
nightly beat task runs it, batch by batch. Reports the sweep's time, its batches and the longest
batch (the longest a batch's row locks are held), and that a second sweep finds nothing.

    python -m bench.retention --records 1000000 --expired-share 0.5 --runs 1

Nothing here is a test: a throwaway embedded PostgreSQL (bench/stack.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid

FILL = (
    "INSERT INTO capabilities_inferencerecord (tenant_id, id, request_id, capability, capability_version, "
    "feature, prompt_key, prompt_version, provider, model, degraded, cache_hit, input_hash, output_hash, "
    "input_redacted, output, context, input_tokens, output_tokens, cost_usd, latency_ms, overhead_ms, "
    "provenance, idempotency_key, trace_id, trail, created_at, erased_at) "
    "SELECT %s, gen_random_uuid(), md5(i::text), 'message.draft', '3.0.0', 'guest-messaging', 'PRMP_MSG_001', "
    "'3.0.0', 'vertex', 'gemini-1.5-flash', false, false, md5(i::text), md5((i + 1)::text), "
    '\'{"intent": "welcome", "guest_name": "<NAME_1>", "locale": "en"}\'::jsonb, '
    '\'{"subject": "Welcome", "body": "Dear <NAME_1>, we look forward to your stay.", "locale": "en"}\'::jsonb, '
    '\'{"feature": "guest-messaging", "locale": "en"}\'::jsonb, 200, 80, 0.000100, 900, 12, '
    "'{}'::jsonb, '', '', '{}'::jsonb, "
    # the first `expired` rows are 91-180 days old, the rest 0-89 days
    "CASE WHEN i <= %s THEN now() - interval '91 days' - (mod(i, 90) || ' days')::interval "
    "ELSE now() - (mod(i, 90) || ' days')::interval END, NULL "
    "FROM generate_series(1, %s) AS i"
)


def load(tenant_id: uuid.UUID, records: int, expired: int) -> float:
    from django.db import connection

    from melmastoon_ai.tenancy.context import tenant_context

    started = time.perf_counter()
    with tenant_context(tenant_id), connection.cursor() as cursor:
        cursor.execute(FILL, [str(tenant_id), expired, records])
    return time.perf_counter() - started


def sweep(tenant_id: uuid.UUID) -> dict:
    """The sweep, with each batch's duration (the retention module's own batches, timed from outside)."""
    from privacy import retention

    batches: list[float] = []
    originals = {name: getattr(retention, name) for name in ("_in_batches", "_in_time_order")}

    def timed_with(original):
        return lambda tenant, select, act: timed(original, tenant, select, act)

    def timed(original, tenant, select, act):
        def timed_act(rows):
            started = time.perf_counter()
            count = act(rows)
            batches.append(time.perf_counter() - started)
            return count

        return original(tenant, select, timed_act)

    for name, original in originals.items():
        setattr(retention, name, timed_with(original))
    try:
        started = time.perf_counter()
        counts = retention.tenant_retention_apply(tenant_id=tenant_id)
        seconds = time.perf_counter() - started
    finally:
        for name, original in originals.items():
            setattr(retention, name, original)
    return {
        "seconds": seconds,
        "counts": counts,
        "batches": len(batches),
        "longest_batch_ms": max(batches) * 1000,
        "median_batch_ms": statistics.median(batches) * 1000,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--expired-share", type=float, default=0.5)
    parser.add_argument("--other-records", type=int, default=200_000, help="another tenant's, untouched")
    args = parser.parse_args(argv)
    from bench.stack import infrastructure

    with infrastructure() as env:
        os.environ.update(env)
        import django

        django.setup()
        from django.conf import settings

        from bench.usage import owner_sql
        from melmastoon_ai.tenancy.services import tenant_create

        tenant = tenant_create(name="bench retention")
        other = tenant_create(name="bench retention other")
        expired = int(args.records * args.expired_share)
        seconds = load(tenant.id, args.records, expired) + load(other.id, args.other_records, args.other_records)
        owner_sql(["VACUUM (ANALYZE) capabilities_inferencerecord"])
        print(
            f"loaded {args.records:,} records ({expired:,} past 90 days) and {args.other_records:,} of another "
            f"tenant in {seconds:.1f} s; batch size {settings.PRIVACY_RETENTION_BATCH}"
        )
        first = sweep(tenant.id)
        print(
            f"sweep: {first['seconds']:.1f} s, {first['counts']['inferences_emptied']:,} records emptied in "
            f"{first['batches']} batches (median {first['median_batch_ms']:.0f} ms, longest "
            f"{first['longest_batch_ms']:.0f} ms), {first['counts']['inferences_emptied'] / first['seconds']:,.0f} "
            "records/s"
        )
        again = sweep(tenant.id)
        print(f"second sweep: {again['seconds']:.2f} s, {again['counts']['inferences_emptied']} records emptied")
        left = owner_sql(
            [
                f"SELECT count(*) FROM capabilities_inferencerecord WHERE tenant_id = '{other.id}' "
                "AND erased_at IS NOT NULL"
            ]
        )[0][0][0]
        print(f"the other tenant's records touched: {left}")


if __name__ == "__main__":
    main()
