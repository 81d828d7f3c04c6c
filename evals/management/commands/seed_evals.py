from django.core.management.base import BaseCommand

from evals.services.seeding import evals_seed


class Command(BaseCommand):
    help = "Declare the 15 eval suites' metrics and thresholds and load the starter golden sets (idempotent)."

    def handle(self, *args, **options):
        report = evals_seed()
        created = sum(row["created"] for row in report.values())
        updated = sum(row["updated"] for row in report.values())
        total = sum(sum(row.values()) for row in report.values())
        self.stdout.write(f"evals: {len(report)} suites, {total} golden cases ({created} new, {updated} updated)")
