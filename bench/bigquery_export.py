"""The ai_calls_fact export to BigQuery (issue 20): --facts rows (default 100,000, four tenants)
sent by `bigquery_export_run` (capabilities/reporting/bigquery_export.py) through the official
client to the REST fake on 127.0.0.1 (capabilities/reporting/bigquery_fake.py), in insertAll
batches of --batch rows. Each of --runs runs starts from an empty mark and a fresh table; prints
the median time and rows per second, and the time of one keyset batch read alone (the database's
share). The fake's own work (JSON parsing, schema checks) is inside the figure: a real BigQuery's
answer time is not."""

from __future__ import annotations

import argparse
import os
import statistics
import time

from bench.stack import infrastructure
from bench.usage import load


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--facts", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with infrastructure() as env:
        os.environ.update(env, BIGQUERY_PROJECT="bench-project", BIGQUERY_EXPORT_SETTLE_SECONDS="0")
        import django

        django.setup()
        from django.conf import settings
        from django.utils import timezone

        from capabilities.models import BigQueryExportState
        from capabilities.reporting import bigquery_export
        from capabilities.reporting.bigquery_fake import FakeBigQueryServer
        from melmastoon_ai.tenancy.services import tenant_create

        tenants = [tenant_create(name=f"bench bigquery {index}").id for index in range(4)]
        seconds = load(tenant_id=tenants[0], facts=args.facts // 4, other_tenants=tenants[1:], other_facts=args.facts)
        loaded = args.facts // 4 + (args.facts // 3) * 3  # one tenant's quarter, the rest split over three
        print(f"loaded {loaded:,} facts in {seconds:.1f} s")
        timings, exported = [], 0
        for _ in range(args.runs):
            fake = FakeBigQueryServer().start()
            settings.BIGQUERY_API_ENDPOINT = fake.endpoint
            bigquery_export.bigquery_ensure_table()
            BigQueryExportState.objects.all().delete()
            started = time.perf_counter()
            result = bigquery_export.bigquery_export_run(batch_size=args.batch, max_batches=10**9)
            timings.append(time.perf_counter() - started)
            exported = result.exported
            assert len(fake.table_rows(bigquery_export.table_id())) == exported and not result.error
            fake.stop()
        reads = []
        state = BigQueryExportState(created_at=None, fact_id=0)
        for _ in range(20):
            started = time.perf_counter()
            bigquery_export._batch(state, timezone.now(), args.batch)
            reads.append(time.perf_counter() - started)
        median = statistics.median(timings)
        print(
            f"exported {exported:,} facts in batches of {args.batch}: median {median:.1f} s of {args.runs} runs "
            f"({', '.join(f'{t:.1f}' for t in timings)} s), {exported / median:,.0f} rows/s; "
            f"one batch read alone: median {statistics.median(reads) * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
