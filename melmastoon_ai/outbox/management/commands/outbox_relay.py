"""Relay the outbox in the foreground (what beat's `outbox.relay` task does, without Celery):
for an operator draining a backlog, and for the tests that kill a relay mid-batch."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandParser

from melmastoon_ai.outbox.services import outbox_relay


class Command(BaseCommand):
    help = "Publish pending outbox events in batches until none is due (--forever: keep polling)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=100)
        parser.add_argument("--forever", action="store_true", help="poll every --interval seconds until killed")
        parser.add_argument("--interval", type=float, default=1.0)

    def handle(self, *args: object, batch_size: int, forever: bool, interval: float, **options: object) -> None:
        totals = {"published": 0, "duplicates": 0, "failed": 0, "parked": 0}
        while True:
            result = outbox_relay(batch_size=batch_size)
            for name in totals:
                totals[name] += getattr(result, name)
            if result.published + result.duplicates + result.failed == 0:
                if not forever:
                    break
                time.sleep(interval)
        self.stdout.write(" ".join(f"{name}={value}" for name, value in totals.items()))
