"""Where relayed events go: a port with one adapter per transport, chosen by OUTBOX_PUBLISHER."""

from __future__ import annotations

import importlib
import json
import logging
from dataclasses import dataclass
from typing import Protocol

import redis

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Envelope:
    id: str
    topic: str
    key: str
    tenant_id: str | None
    payload: dict
    created_at: str

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True, separators=(",", ":"), default=str)


class PublishError(Exception):
    pass


class Publisher(Protocol):
    def publish(self, envelope: Envelope) -> bool:
        """Publish once; return False if this event id was already published (a retry after a crash)."""


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
    def __init__(self, *, url: str, stream_prefix: str, dedupe_ttl_seconds: int = 7 * 24 * 3600,
                 max_stream_length: int = 100_000):
        self._client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._script = self._client.register_script(_PUBLISH_ONCE)
        self._prefix = stream_prefix
        self._ttl = dedupe_ttl_seconds
        self._maxlen = max_stream_length

    def stream_for(self, topic: str) -> str:
        return f"{self._prefix}{topic}"

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
    "log": "melmastoon_ai.outbox.publishers.LogPublisher",
}


def build_publisher(name: str, **config: object) -> Publisher:
    try:
        dotted = PUBLISHERS[name]
    except KeyError as exc:
        raise ValueError(f"unknown OUTBOX_PUBLISHER {name!r}; known: {sorted(PUBLISHERS)}") from exc
    module_name, _, class_name = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), class_name)(**config)
