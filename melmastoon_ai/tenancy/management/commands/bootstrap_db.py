from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from melmastoon_ai.env import env_secret
from melmastoon_ai.infra.bootstrap import APP_ROLE, DATABASE, OWNER_ROLE, bootstrap
from melmastoon_ai.observability.scrub import scrub_text


class Command(BaseCommand):
    help = (
        "As the PostgreSQL superuser: create the vector extension, the owner and application roles "
        "and the database (idempotent). Role names, passwords and the database name default to those of "
        "the configured MIGRATION_DATABASE_URL (owner) and DATABASE_URL (application); the superuser URL "
        "to DATABASE_SUPERUSER_URL. Prints the two URLs to configure, without passwords."
    )

    def add_arguments(self, parser):
        parser.add_argument("--superuser-url", default=None, help="default: DATABASE_SUPERUSER_URL")
        parser.add_argument("--database", default=None)
        parser.add_argument("--owner-role", default=None)
        parser.add_argument("--app-role", default=None)
        parser.add_argument("--owner-password", default=None)
        parser.add_argument("--app-password", default=None)

    def handle(self, *args, **options):
        superuser_url = options["superuser_url"] or env_secret("DATABASE_SUPERUSER_URL")
        if not superuser_url:
            raise CommandError("give --superuser-url or set DATABASE_SUPERUSER_URL")
        app, owner = settings.DATABASES["default"], settings.DATABASES["migrations"]
        result = bootstrap(
            superuser_url,
            database=options["database"] or app.get("NAME") or DATABASE,
            owner_role=options["owner_role"] or owner.get("USER") or OWNER_ROLE,
            app_role=options["app_role"] or app.get("USER") or APP_ROLE,
            owner_password=options["owner_password"] or owner.get("PASSWORD") or None,
            app_password=options["app_password"] or app.get("PASSWORD") or None,
        )
        self.stdout.write(f"DATABASE_URL={scrub_text(result.app_url)}")
        self.stdout.write(f"MIGRATION_DATABASE_URL={scrub_text(result.owner_url)}")
