"""Put parked outbox events back in the relay's queue (attempts from zero, due now)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from melmastoon_ai.outbox.services import outbox_replay_parked


class Command(BaseCommand):
    help = "Re-queue parked outbox events: given ids, or --parked for all (optionally --topic TYPE)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("event_ids", nargs="*", help="ids of parked events")
        parser.add_argument("--parked", action="store_true", help="every parked event (of --topic, if given)")
        parser.add_argument("--topic", default="", help="only events of this type, e.g. hitl.decided")
        parser.add_argument("--actor", default="manage.py outbox_replay", help="who, for the audit log")

    def handle(
        self, *args: object, event_ids: list[str], parked: bool, topic: str, actor: str, **options: object
    ) -> None:
        if not event_ids and not parked:
            raise CommandError("give event ids, or --parked for every parked event")
        count = outbox_replay_parked(actor=actor, event_ids=event_ids or None, topic=topic)
        self.stdout.write(f"{count} parked event(s) re-queued")
