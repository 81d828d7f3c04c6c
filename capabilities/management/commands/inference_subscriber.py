"""Consume the inference-request command topic (capabilities/inference_subscriber.py) until
SIGTERM, or with `--drain` until nothing is waiting or a message is nacked (a Cloud Run job run on a schedule)."""

from __future__ import annotations

import signal

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from capabilities.inference_subscriber import InferenceSubscriber


class Command(BaseCommand):
    help = "Pull inference requests from Pub/Sub, run them, ack after the result is persisted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--drain", action="store_true", help="stop when a pull returns nothing")
        parser.add_argument("--pull-timeout", type=float, default=10.0)
        parser.add_argument(
            "--setup", action="store_true", help="create the topics and the subscription first (pubsub_setup)"
        )

    def handle(self, *args: object, drain: bool, pull_timeout: float, setup: bool, **options: object) -> None:
        project = str(settings.PUBSUB_PROJECT or "")
        if not project:
            raise CommandError("PUBSUB_PROJECT is not set")
        if setup:
            call_command("pubsub_setup", stdout=self.stdout)
        subscriber = InferenceSubscriber(
            project=project,
            prefix=str(settings.OUTBOX_STREAM_PREFIX),
            subscription=str(settings.PUBSUB_REQUEST_SUBSCRIPTION),
        )
        subscriber.load_policy()
        self.stdout.write(
            f"subscribed to {subscriber.subscription_path} "
            f"(dead-letter after {subscriber.max_delivery_attempts} deliveries)"
        )
        self.stdout.flush()
        if drain:
            handled = 0
            # until nothing is waiting, or a message was nacked (it waits for the next run rather
            # than spending its deliveries at once)
            while outcomes := subscriber.run_once(timeout=pull_timeout):
                handled += len(outcomes)
                if any(outcome.action == "nack" for outcome in outcomes):
                    break
            self.stdout.write(f"drained: {handled} message(s)")
            return
        signal.signal(signal.SIGTERM, lambda *_: subscriber.stopping.set())
        signal.signal(signal.SIGINT, lambda *_: subscriber.stopping.set())
        subscriber.run_forever(timeout=pull_timeout)
