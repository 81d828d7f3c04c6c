from django.core.management.base import BaseCommand, CommandError

from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.flags.registry import registered_flags
from melmastoon_ai.flags.services import feature_flag_clear, feature_flag_set


class Command(BaseCommand):
    help = (
        "Switch a feature flag: `feature_flag set KEY on|off [--tenant UUID] [--note TEXT]`, "
        "`feature_flag clear KEY [--tenant UUID]`, `feature_flag list` (the registered flags)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["set", "clear", "list"])
        parser.add_argument("key", nargs="?")
        parser.add_argument("state", nargs="?", choices=["on", "off"])
        parser.add_argument("--tenant", default=None, help="the tenant's id; without it the global row")
        parser.add_argument("--note", default="")

    def handle(self, *args, action, key, state, tenant, note, **options):
        if action == "list":
            for flag in registered_flags():
                self.stdout.write(f"{flag.key}\tdefault {'on' if flag.default else 'off'}\t{flag.description}")
            return
        if not key or (action == "set" and state is None):
            raise CommandError("name the flag (and for `set`, on or off)")
        try:
            if action == "set":
                flag = feature_flag_set(
                    key=key, enabled=state == "on", tenant_id=tenant, note=note, actor="manage.py feature_flag"
                )
                self.stdout.write(str(flag))
            else:
                found = feature_flag_clear(key=key, tenant_id=tenant, actor="manage.py feature_flag")
                self.stdout.write("cleared" if found else "no such row")
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
