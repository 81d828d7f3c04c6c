"""The Pub/Sub transport of the outbox (OUTBOX_PUBLISHER=pubsub), through the official client.

`google-cloud-pubsub` is imported only here. With `PUBSUB_EMULATOR_HOST` set the client talks
plaintext gRPC to that address with anonymous credentials (the emulator, or the project's fake,
`pubsub_fake.FakePubSubServer`); without it, to Pub/Sub with the application default credentials.

Each event is one message on its family's topic (`catalog.topic_for`): the data is the envelope
JSON, the attributes `event_id`, `event_type`, `event_version`, `tenant_id`; HITL events carry
the tenant id as ordering key. Delivery is at least once: Pub/Sub has no idempotent publish, so a
relay killed after Pub/Sub accepted a batch but before it recorded that publishes the batch again
after the claim lease, with the same `event_id`s; consumers deduplicate on `event_id`.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import os

import grpc
from google.api_core import exceptions as google_exceptions
from google.cloud import pubsub_v1  # type: ignore[attr-defined]  # a namespace package mypy cannot see into
from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport
from google.pubsub_v1.services.subscriber.transports import SubscriberGrpcTransport

from melmastoon_ai.outbox.catalog import (
    COMMAND_TOPIC_SUFFIX,
    DEAD_LETTER_SUFFIX,
    DEFAULT_TOPIC_PREFIX,
    all_topic_suffixes,
    topic_for,
)
from melmastoon_ai.outbox.publishers import Envelope, PublishError

# Reconnect soon after an outage: gRPC's default backoff grows to 120 s, during which every relay
# attempt would fail at once and the events would park although Pub/Sub is back.
CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 250),
    ("grpc.min_reconnect_backoff_ms", 250),
    ("grpc.max_reconnect_backoff_ms", 2000),
]


def _channel(transport_class):
    emulator = os.environ.get("PUBSUB_EMULATOR_HOST")
    if emulator:
        return grpc.insecure_channel(emulator, options=CHANNEL_OPTIONS)
    return transport_class.create_channel(options=CHANNEL_OPTIONS)


def publisher_client(*, ordered: bool = True) -> pubsub_v1.PublisherClient:
    options = pubsub_v1.types.PublisherOptions(enable_message_ordering=ordered)
    batch = pubsub_v1.types.BatchSettings(max_messages=100, max_latency=0.01)
    transport = PublisherGrpcTransport(channel=_channel(PublisherGrpcTransport))
    return pubsub_v1.PublisherClient(batch_settings=batch, publisher_options=options, transport=transport)


def subscriber_client() -> pubsub_v1.SubscriberClient:
    return pubsub_v1.SubscriberClient(transport=SubscriberGrpcTransport(channel=_channel(SubscriberGrpcTransport)))


class PubSubPublisher:
    def __init__(
        self,
        *,
        project: str,
        stream_prefix: str = DEFAULT_TOPIC_PREFIX,
        timeout_seconds: float = 10.0,
        client: pubsub_v1.PublisherClient | None = None,
        **_: object,
    ):
        if not project:
            raise ValueError("OUTBOX_PUBLISHER=pubsub needs PUBSUB_PROJECT")
        self._project = project
        self._prefix = stream_prefix
        self._timeout = timeout_seconds
        self._client = client or publisher_client()
        # No retry inside the client: with message ordering on, it stretches any retry to an
        # unbounded deadline, so a message the relay gave up on (and will retry itself) could still
        # go out later: published twice. One attempt each, within our timeout; the relay's backoff
        # and parking are the retry.

    @functools.cache  # noqa: B019  (one publisher per process; a handful of topics)
    def topic_path(self, event_type: str) -> str:
        return self._client.topic_path(self._project, topic_for(event_type, self._prefix))

    def _send(self, envelope: Envelope) -> concurrent.futures.Future:
        return self._client.publish(
            self.topic_path(envelope.topic),
            envelope.to_json().encode(),
            ordering_key=envelope.ordering_key,
            retry=None,
            timeout=self._timeout,
            **envelope.attributes(),
        )

    def publish(self, envelope: Envelope) -> bool:
        outcome = self.publish_many([envelope])[0]
        if isinstance(outcome, PublishError):
            raise outcome
        return outcome

    def publish_many(self, envelopes: list[Envelope]) -> list[bool | PublishError]:
        """All of a batch in flight at once, then each one's outcome. Pub/Sub cannot say whether an
        id was seen before, so a success is always `True` (at least once; see the module doc)."""
        sent: list[concurrent.futures.Future | PublishError] = []
        for envelope in envelopes:
            try:
                sent.append(self._send(envelope))
            except Exception as exc:  # the client refuses at once, e.g. an ordering key paused by a failure
                sent.append(self._error(envelope, exc))
        outcomes: list[bool | PublishError] = []
        for envelope, future in zip(envelopes, sent, strict=True):
            if isinstance(future, PublishError):
                outcomes.append(future)
                continue
            try:
                future.result(timeout=self._timeout + 1)
            except Exception as exc:  # any failure of one message is that message's outcome
                outcomes.append(self._error(envelope, exc))
            else:
                outcomes.append(True)
        return outcomes

    def _error(self, envelope: Envelope, exc: Exception) -> PublishError:
        if envelope.ordering_key:
            # A failed ordered publish pauses its key until resumed; the relay retries the event
            # (and the ones after it) with backoff, so resume now.
            with contextlib.suppress(RuntimeError):  # "not paused": the failure was a time-out of ours
                self._client.resume_publish(self.topic_path(envelope.topic), envelope.ordering_key)
        return PublishError(f"pubsub: {type(exc).__name__}: {str(exc)[:200]}")

    def ensure_topics(self, extra_suffixes: tuple[str, ...] = ()) -> list[str]:
        """Create the outbox topics (and any extra) that do not exist yet; their paths."""
        paths = []
        for suffix in (*all_topic_suffixes(), *extra_suffixes):
            path = self._client.topic_path(self._project, self._prefix + suffix)
            try:
                self._client.create_topic(name=path, timeout=self._timeout)
            except google_exceptions.AlreadyExists:
                pass
            paths.append(path)
        return paths


def ensure_request_subscription(
    *,
    project: str,
    prefix: str,
    subscription: str,
    max_delivery_attempts: int = 5,
    minimum_backoff_seconds: int = 10,
    maximum_backoff_seconds: int = 600,
) -> list[str]:
    """The command topic siblings publish inference requests to, its dead-letter topic, and this
    service's subscription with seed 000's policy: 5 deliveries, then the dead-letter topic. A
    nacked message is redelivered after an exponential backoff (10 s to 10 min), so a request
    nacked for a passing cause (the rate limit, an outage) does not spend its 5 deliveries within
    a second; `minimum_backoff_seconds=0` leaves the retry policy out (immediate redelivery)."""
    publisher, subscriber = publisher_client(ordered=False), subscriber_client()
    request_topic = publisher.topic_path(project, prefix + COMMAND_TOPIC_SUFFIX)
    dead_letter_topic = publisher.topic_path(project, prefix + COMMAND_TOPIC_SUFFIX + DEAD_LETTER_SUFFIX)
    for path in (request_topic, dead_letter_topic):
        with contextlib.suppress(google_exceptions.AlreadyExists):
            publisher.create_topic(name=path)
    subscription_path = subscriber.subscription_path(project, subscription)
    request: dict = {
        "name": subscription_path,
        "topic": request_topic,
        "ack_deadline_seconds": 30,
        "dead_letter_policy": {"dead_letter_topic": dead_letter_topic, "max_delivery_attempts": max_delivery_attempts},
    }
    if minimum_backoff_seconds:
        request["retry_policy"] = {
            "minimum_backoff": {"seconds": minimum_backoff_seconds},
            "maximum_backoff": {"seconds": maximum_backoff_seconds},
        }
    with contextlib.suppress(google_exceptions.AlreadyExists):
        subscriber.create_subscription(request=request)
    return [f"topic {request_topic}", f"topic {dead_letter_topic}", f"subscription {subscription_path}"]
