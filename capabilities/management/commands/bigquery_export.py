"""Run the BigQuery export of ai_calls_fact once in the foreground (what beat's
`capabilities.bigquery_export` does), e.g. to catch up after an outage."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from capabilities.reporting.bigquery_export import bigquery_export_run


class Command(BaseCommand):
    help = "Export the ai_calls_fact rows after the high-water mark to BigQuery."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--max-batches", type=int, default=None)

    def handle(self, *args: object, batch_size: int | None, max_batches: int | None, **options: object) -> None:
        result = bigquery_export_run(batch_size=batch_size, max_batches=max_batches)
        if result.skipped:
            self.stdout.write(f"skipped: {result.skipped}")
            return
        self.stdout.write(f"exported {result.exported} fact(s) in {result.batches} batch(es)")
        if result.error:
            self.stderr.write(f"stopped: {result.error}")
