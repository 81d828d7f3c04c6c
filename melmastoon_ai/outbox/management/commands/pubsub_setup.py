"""Create the Pub/Sub topics and the inference-request subscription this service uses (idempotent).

In production the topics usually come from infrastructure code; against the emulator or the
project's fake (`fake_pubsub`) this is how they come to exist.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from melmastoon_ai.outbox.pubsub import PubSubPublisher, ensure_request_subscription


class Command(BaseCommand):
    help = "Create the outbox topics, the inference-request topic, its dead-letter topic and subscription."

    def handle(self, *args: object, **options: object) -> None:
        project, prefix = str(settings.PUBSUB_PROJECT or ""), str(settings.OUTBOX_STREAM_PREFIX)
        if not project:
            raise CommandError("PUBSUB_PROJECT is not set")
        publisher = PubSubPublisher(project=project, stream_prefix=prefix)
        for path in publisher.ensure_topics():
            self.stdout.write(f"topic {path}")
        for path in ensure_request_subscription(
            project=project, prefix=prefix, subscription=str(settings.PUBSUB_REQUEST_SUBSCRIPTION)
        ):
            self.stdout.write(path)
