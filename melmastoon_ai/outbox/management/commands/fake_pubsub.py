"""Run the fake Pub/Sub server (gRPC, google.pubsub.v1, on 127.0.0.1) until Ctrl-C."""

from __future__ import annotations

import threading

from django.core.management.base import BaseCommand, CommandParser

from melmastoon_ai.outbox.pubsub_fake import LOOPBACK, FakePubSubServer


class Command(BaseCommand):
    help = "Run a fake Pub/Sub (Publisher and Subscriber services) and print the environment to use it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=LOOPBACK)
        parser.add_argument("--port", type=int, default=8085, help="0 picks a free port")
        parser.add_argument("--seconds", type=float, default=None, help="stop after this long (default: Ctrl-C)")

    def handle(self, *args: object, host: str, port: int, seconds: float | None, **options: object) -> None:
        fake = FakePubSubServer(host=host, port=port).start()
        try:
            self.stdout.write(f"export PUBSUB_EMULATOR_HOST={fake.emulator_host}")
            self.stdout.write("export PUBSUB_PROJECT=fake-project OUTBOX_PUBLISHER=pubsub")
            self.stdout.write("# then: manage.py pubsub_setup (creates the topics and the subscription)")
            self.stdout.flush()
            threading.Event().wait(seconds)
        except KeyboardInterrupt:
            self.stdout.write("stopping")
        finally:
            fake.stop()
