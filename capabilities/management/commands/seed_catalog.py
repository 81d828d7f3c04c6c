from django.core.management.base import BaseCommand

from capabilities.services import catalog_seed


class Command(BaseCommand):
    help = "Load the 15 capabilities, their prompts, models and fallback chains (idempotent)."

    def handle(self, *args, **options):
        counts = catalog_seed()
        self.stdout.write(
            f"catalog: {counts['capabilities']} capabilities ({counts['created']} new), "
            f"{counts['prompts']} prompts, {counts['models']} models, {counts['providers']} providers"
        )
