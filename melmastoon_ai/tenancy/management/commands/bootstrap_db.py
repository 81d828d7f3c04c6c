from django.core.management.base import BaseCommand

from melmastoon_ai.infra.bootstrap import APP_ROLE, DATABASE, OWNER_ROLE, bootstrap
from melmastoon_ai.observability.scrub import scrub_text


class Command(BaseCommand):
    help = (
        "As the PostgreSQL superuser: create the vector extension, the owner and application roles "
        "and the database (idempotent). Prints the two URLs to configure, without passwords."
    )

    def add_arguments(self, parser):
        parser.add_argument("--superuser-url", required=True)
        parser.add_argument("--database", default=DATABASE)
        parser.add_argument("--owner-role", default=OWNER_ROLE)
        parser.add_argument("--app-role", default=APP_ROLE)
        parser.add_argument("--owner-password", default=None)
        parser.add_argument("--app-password", default=None)

    def handle(self, *args, **options):
        result = bootstrap(
            options["superuser_url"], database=options["database"], owner_role=options["owner_role"],
            app_role=options["app_role"], owner_password=options["owner_password"],
            app_password=options["app_password"],
        )
        self.stdout.write(f"DATABASE_URL={scrub_text(result.app_url)}")
        self.stdout.write(f"MIGRATION_DATABASE_URL={scrub_text(result.owner_url)}")
