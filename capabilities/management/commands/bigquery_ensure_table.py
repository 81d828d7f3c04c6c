"""Create the BigQuery dataset and the ai_calls_fact table (partitioned by day on call_date,
clustered by tenant_id, capability_key; schema capabilities/reporting/bigquery/) if missing."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from capabilities.reporting.bigquery_export import bigquery_ensure_table, table_id


class Command(BaseCommand):
    help = "Create the BigQuery table the ai_calls_fact export streams to (idempotent)."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.BIGQUERY_PROJECT:
            raise CommandError("BIGQUERY_PROJECT is not set")
        table, created = bigquery_ensure_table()
        partitioning = table.time_partitioning
        self.stdout.write(
            f"{'created' if created else 'exists'} {table_id()}: partitioned by "
            f"{partitioning.type_ if partitioning else '-'} on {partitioning.field if partitioning else '-'}, "
            f"clustered by {', '.join(table.clustering_fields or []) or '-'}"
        )
