import uuid

from django.core.management.base import BaseCommand, CommandError

from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.tenancy.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for a tenant and print it once on stdout; only its hash is stored."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant uuid")
        parser.add_argument("--scopes", default="ai:invoke", help="comma-separated: ai:invoke,ai:review,ai:admin")
        parser.add_argument("--name", default="")

    def handle(self, *args, **options):
        try:
            tenant_id = uuid.UUID(options["tenant"])
        except ValueError as exc:
            raise CommandError("--tenant must be a uuid") from exc
        scopes = [scope.strip() for scope in options["scopes"].split(",") if scope.strip()]
        try:
            issued = api_key_create(tenant_id=tenant_id, scopes=scopes, name=options["name"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(issued.raw)
