"""What runs once per release, before the new revision takes traffic (the migration job of
compose.yaml, Cloud Run and the Helm chart's pre-upgrade hook): forward-only migrations as the owner
role, then the catalog and the eval suites (both idempotent: a release brings its own catalog)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate (as the owner role), then load the capability catalog and the eval suites. Idempotent."

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=options["verbosity"])
        call_command("seed_catalog", verbosity=options["verbosity"])
        call_command("seed_evals", verbosity=options["verbosity"])  # suites' metrics and starter golden sets
