from django.core.management.base import BaseCommand

from capabilities.services import catalog_seed


class Command(BaseCommand):
    help = (
        "Load the 15 capabilities, their prompts, models and fallback chains: creates what is missing, "
        "leaves what operators changed and reports it as drift (idempotent)."
    )

    def handle(self, *args, **options):
        counts = catalog_seed()
        self.stdout.write(
            f"catalog: {counts['capabilities']} capabilities ({counts['created']} new), "
            f"{counts['prompts']} prompts, {counts['models']} models, {counts['providers']} providers"
        )
        for item in counts["drift"]:
            self.stdout.write(
                self.style.WARNING(
                    f"drift: {item['capability']}.{item['field']} is {item['current']!r} (changed by an operator); "
                    f"the seed has {item['seed']!r}. Kept. `manage.py capability route` sets a route."
                )
            )
