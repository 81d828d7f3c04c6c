import getpass
import os
import uuid

from django.core.management.base import BaseCommand, CommandError

from hitl.services import DEFAULT_REVIEWER_GROUP, KNOWN_GROUPS, reviewer_account_create
from melmastoon_ai.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Create a tenant's reviewer account for the HITL pages (/hitl/). The password comes from "
        "REVIEWER_PASSWORD or is asked for; it is never printed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant uuid")
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--groups", default=DEFAULT_REVIEWER_GROUP, help=f"comma-separated, of: {', '.join(sorted(KNOWN_GROUPS))}"
        )

    def handle(self, *args, **options):
        try:
            tenant_id = uuid.UUID(options["tenant"])
        except ValueError as exc:
            raise CommandError("--tenant must be a uuid") from exc
        password = os.environ.get("REVIEWER_PASSWORD") or self._ask_password()
        groups = [group.strip() for group in options["groups"].split(",") if group.strip()]
        try:
            user = reviewer_account_create(
                tenant_id=tenant_id,
                username=options["username"],
                password=password,
                groups=groups,
                email=options["email"],
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"reviewer {user.username} created in groups {', '.join(groups)}")

    def _ask_password(self) -> str:
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords differ.")
        return first
