"""`manage.py capability route ID --default MODEL --chain A,B,... [--explain X,Y] [--reason TEXT]` and
`manage.py capability history ID`: an operator's route for a capability, kept by `seed_catalog`."""

import getpass
import json

from django.core.management.base import BaseCommand, CommandError

from capabilities.services import capability_route_history, capability_route_set, chain_ending_in_fallback
from melmastoon_ai.errors import ApplicationError


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


class Command(BaseCommand):
    help = "Set a capability's default model and chains (recorded in its history), or show that history."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        route = sub.add_parser("route", help="set the default model and the fallback chain")
        route.add_argument("capability")
        route.add_argument("--default", required=True, metavar="MODEL")
        route.add_argument(
            "--chain",
            required=True,
            metavar="A,B,...",
            help="models after the default, in order ('deterministic' is added at the end)",
        )
        route.add_argument(
            "--explain",
            default=None,
            metavar="X,Y,...",
            help="the second stage's models (anomaly.detect, housekeeping.route); '' for none",
        )
        route.add_argument("--reason", default="")
        route.add_argument("--actor", default="", help="who makes the change (default: the OS user)")
        history = sub.add_parser("history", help="the capability's routes, newest first")
        history.add_argument("capability")

    def handle(self, *args, **options):
        try:
            if options["action"] == "route":
                capability = capability_route_set(
                    capability_id=options["capability"],
                    default_model=options["default"],
                    fallback_chain=chain_ending_in_fallback(options["chain"].split(",")),
                    explanation_chain=None if options["explain"] is None else _names(options["explain"]),
                    actor=options["actor"] or f"cli:{getpass.getuser()}",
                    reason=options["reason"],
                )
                second = (
                    f" | explained by {' > '.join(capability.explanation_chain)}"
                    if capability.explanation_chain
                    else ""
                )
                self.stdout.write(f"{capability.id}: {' > '.join(capability.chain)}{second}")
            else:
                for row in capability_route_history(capability_id=options["capability"]):
                    self.stdout.write(json.dumps(row, default=str))
        except ApplicationError as exc:
            problems = exc.details.get("problems") if exc.details else None
            raise CommandError(f"{exc.message} {'; '.join(problems) if problems else ''}".strip()) from exc
