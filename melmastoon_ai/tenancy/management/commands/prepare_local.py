"""Everything `make run` does before serving, in one process (each Django start costs ~2 s)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "The release steps (migrate as the owner role, the capability catalog, the eval suites), then build "
        "and sign the edge models if they are missing. Idempotent; `make run` runs it before serving."
    )

    def handle(self, *args, **options):
        call_command("prepare_release", verbosity=options["verbosity"])
        # First run: copy MiniLM, train the two small models (~15 s) and sign a manifest with a local key.
        call_command("edge_models_build", "--publish", "--if-missing", verbosity=options["verbosity"])
