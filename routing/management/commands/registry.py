"""`manage.py registry register|deregister|enable|disable|list` (seed 003's admin-cli registry)."""

import argparse

from django.core.management.base import BaseCommand, CommandError

from melmastoon_ai.errors import ApplicationError
from routing import services
from routing.models import ModelDeployment

MAX_CONTEXT_WINDOW = 2**31 - 1  # Model.context_window is a PostgreSQL integer


def _tokens(value: str) -> int:
    number = int(value)
    if not 0 <= number <= MAX_CONTEXT_WINDOW:
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_CONTEXT_WINDOW}")
    return number


class Command(BaseCommand):
    help = "Manage self-hosted model deployments (OpenAI-compatible endpoints) per environment."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        register = sub.add_parser("register", help="register a model endpoint in an environment")
        register.add_argument("model")
        register.add_argument("endpoint_url")
        register.add_argument("--environment", default="development", choices=ModelDeployment.Environment.values)
        register.add_argument(
            "--context-window",
            type=_tokens,
            default=0,
            metavar="TOKENS",
            help="for --create: the new model's context window",
        )
        register.add_argument(
            "--create",
            action="store_true",
            help="add the model to the catalog as a self-hosted model if it is not there",
        )
        for action in ("deregister", "enable", "disable"):
            command = sub.add_parser(action)
            command.add_argument("model")
            command.add_argument("--environment", default="development", choices=ModelDeployment.Environment.values)
        listing = sub.add_parser("list")
        listing.add_argument("--environment", default=None, choices=ModelDeployment.Environment.values)

    def handle(self, *args, **options):
        action = options["action"]
        try:
            if action == "register":
                deployment = services.deployment_register(
                    model_name=options["model"],
                    endpoint_url=options["endpoint_url"],
                    environment=options["environment"],
                    context_window=options["context_window"],
                    create_model=options["create"],
                )
                self.stdout.write(f"registered {deployment}")
            elif action == "deregister":
                services.deployment_deregister(model_name=options["model"], environment=options["environment"])
                self.stdout.write(f"deregistered {options['model']}@{options['environment']}")
            elif action in ("enable", "disable"):
                status = ModelDeployment.Status.READY if action == "enable" else ModelDeployment.Status.DISABLED
                deployment = services.deployment_set_status(
                    model_name=options["model"], environment=options["environment"], status=status
                )
                self.stdout.write(f"{deployment}: {deployment.status}")
            else:
                self._list(options["environment"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc

    def _list(self, environment):
        rows = ModelDeployment.objects.select_related("model").order_by("model__name", "environment")
        if environment:
            rows = rows.filter(environment=environment)
        self.stdout.write(f"{'MODEL':32} {'ENVIRONMENT':12} {'STATUS':9} {'HEALTH':10} ENDPOINT")
        for row in rows:
            self.stdout.write(
                f"{row.model.name:32} {row.environment:12} {row.status:9} "
                f"{row.last_health_status or '-':10} {row.endpoint_url}"
            )
