"""Where relayed events go: a port with one adapter per transport, chosen by OUTBOX_PUBLISHER.

Every transport carries the same envelope (`Envelope.body`, schema in `catalog`) to the same topic
names (seed 000's): a Redis stream of that name locally, a Pub/Sub topic in the cloud."""

from __future__ import annotations

import importlib
import json
import logging
from dataclasses import dataclass
from typing import Protocol

import redis

from melmastoon_ai.outbox.catalog import DEFAULT_TOPIC_PREFIX, ENVELOPE_VERSION, ordering_key, topic_for

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Envelope:
    """One event as it leaves: `topic` is the event type (`hitl.decided`), `created_at` when it
    happened; the body names them `type` and `occurred_at` and keeps the 0.2 names beside them."""

    id: str
    topic: str
    key: str
    tenant_id: str | None
    payload: dict
    created_at: str
    version: int = ENVELOPE_VERSION

    @property
    def ordering_key(self) -> str:
        return ordering_key(self.topic, self.tenant_id)

    def body(self) -> dict:
        return {
            "id": self.id,
            "type": self.topic,
            "version": self.version,
            "tenant_id": self.tenant_id,
            "occurred_at": self.created_at,
            "key": self.key,
            "payload": self.payload,
            "topic": self.topic,
            "created_at": self.created_at,
        }

    def to_json(self) -> str:
        return json.dumps(self.body(), sort_keys=True, separators=(",", ":"), default=str)

    def attributes(self) -> dict[str, str]:
        """What a Pub/Sub subscription can filter on without parsing the body."""
        return {
            "event_id": self.id,
            "event_type": self.topic,
            "event_version": str(self.version),
            "tenant_id": self.tenant_id or "",
        }


class PublishError(Exception):
    pass


class Publisher(Protocol):
    def publish(self, envelope: Envelope) -> bool:
        """Publish once; return False if this event id was already published (a retry after a crash)."""


def publish_all(publisher: Publisher, envelopes: list[Envelope]) -> list[bool | PublishError]:
    """A batch through the publisher's own `publish_many` when it has one (Pub/Sub sends a batch
    concurrently), else one by one; each envelope's outcome in order."""
    many = getattr(publisher, "publish_many", None)
    if many is not None:
        return many(envelopes)
    outcomes: list[bool | PublishError] = []
    for envelope in envelopes:
        try:
            outcomes.append(publisher.publish(envelope))
        except PublishError as exc:
            outcomes.append(exc)
    return outcomes


# Publish and remember the id in one atomic step, so a relay that crashed after publishing
# but before marking the row cannot publish the same event twice.
_PUBLISH_ONCE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'id', ARGV[3], 'event', ARGV[4])
  return 1
end
return 0
"""


class RedisStreamsPublisher:
    """The local transport: one stream per topic, named as the Pub/Sub topic is
    (`melmastoon.ai_orchestrator.hitl.events.v1`), entries `id` and `event` (the envelope JSON)."""

    def __init__(
        self,
        *,
        url: str,
        stream_prefix: str = DEFAULT_TOPIC_PREFIX,
        dedupe_ttl_seconds: int = 7 * 24 * 3600,
        max_stream_length: int = 100_000,
        **_: object,
    ):
        self._client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._script = self._client.register_script(_PUBLISH_ONCE)
        self._prefix = stream_prefix
        self._ttl = dedupe_ttl_seconds
        self._maxlen = max_stream_length

    def stream_for(self, event_type: str) -> str:
        return topic_for(event_type, self._prefix)

    def publish(self, envelope: Envelope) -> bool:
        try:
            added = self._script(
                keys=[f"outbox:published:{envelope.id}", self.stream_for(envelope.topic)],
                args=[self._ttl, self._maxlen, envelope.id, envelope.to_json()],
            )
        except redis.RedisError as exc:
            raise PublishError(f"redis: {type(exc).__name__}") from exc
        return bool(added)


class LogPublisher:
    """Development transport: the event goes to the log, nowhere else."""

    def __init__(self, **_: object):
        self._seen: set[str] = set()

    def publish(self, envelope: Envelope) -> bool:
        if envelope.id in self._seen:
            return False
        self._seen.add(envelope.id)
        logger.info("outbox event", extra={"topic": envelope.topic, "event_id": envelope.id})
        return True


PUBLISHERS = {
    "redis_streams": "melmastoon_ai.outbox.publishers.RedisStreamsPublisher",
    "pubsub": "melmastoon_ai.outbox.pubsub.PubSubPublisher",
    "log": "melmastoon_ai.outbox.publishers.LogPublisher",
}


def build_publisher(name: str, **config: object) -> Publisher:
    try:
        dotted = PUBLISHERS[name]
    except KeyError as exc:
        raise ValueError(f"unknown OUTBOX_PUBLISHER {name!r}; known: {sorted(PUBLISHERS)}") from exc
    module_name, _, class_name = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), class_name)(**config)
