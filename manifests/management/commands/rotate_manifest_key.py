from django.core.management.base import BaseCommand, CommandError

from manifests.services import signing_key_rotate
from melmastoon_ai.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Seed 000's key-compromise runbook (local signer): create a new key version, publish a manifest "
        "signed by it, and with --revoke-previous revoke the earlier versions so their signatures stop verifying."
    )

    def add_arguments(self, parser):
        parser.add_argument("--revoke-previous", action="store_true")
        parser.add_argument("--reason", default="key rotation")

    def handle(self, *args, revoke_previous: bool, reason: str, **options):
        try:
            manifest = signing_key_rotate(
                actor="manage.py rotate_manifest_key", revoke_previous=revoke_previous, reason=reason
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"published manifest {manifest.version} signed by {manifest.key_version.name}")
