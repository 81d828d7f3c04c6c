from django.core.management.base import BaseCommand, CommandError

from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.tenancy.models import Tenant
from melmastoon_ai.tenancy.services import tenant_create


class Command(BaseCommand):
    help = "Create a tenant and print its id (uuid) on stdout."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--region", default="europe-west1")
        parser.add_argument("--monthly-token-limit", type=int, default=None)
        parser.add_argument("--country", default="", help="ISO 3166-1 alpha-2 country code")
        parser.add_argument("--residency", choices=Tenant.Residency.values, default=Tenant.Residency.ANY)
        parser.add_argument(
            "--operator",
            action="store_true",
            help="the platform operator's tenant (its ai:admin keys run prompts, evals, manifests)",
        )

    def handle(self, *args, **options):
        try:
            tenant = tenant_create(
                name=options["name"],
                region=options["region"],
                monthly_token_limit=options["monthly_token_limit"],
                country=options["country"],
                data_residency=options["residency"],
                operator=options["operator"],
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(str(tenant.id))
