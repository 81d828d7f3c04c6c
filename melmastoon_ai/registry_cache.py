"""Cached registry reads (catalog, models, deployments, prompts): Redis, 2 minutes, invalidated
on every change by bumping a generation number, so no stale key can be served after a write.

Each process also keeps the decoded value for the current generation, so a hot read costs one
small Redis GET (the generation) rather than decoding the whole catalog. Redis being down never
fails a read: the loader (PostgreSQL) answers directly.

With a read replica (melmastoon_ai/db_router.py) loads read it, except for REPLICA_MAX_LAG_SECONDS
after an invalidation: the replica may not have the write yet, and what is loaded is then cached.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings

from melmastoon_ai.db_router import replica_configured, replica_read
from melmastoon_ai.redis_client import get_redis

logger = logging.getLogger(__name__)
DEFAULT_TTL_SECONDS = 120
# How long a process trusts the generation number it last read: another process's change is
# seen within this time; this process's own changes are seen at once (invalidate clears it).
GENERATION_CHECK_SECONDS = 1.0


class RegistryCache:
    def __init__(self, namespace: str, *, ttl_seconds: int = DEFAULT_TTL_SECONDS):
        self.namespace = namespace
        self.ttl_seconds = ttl_seconds
        self._lock = threading.Lock()
        self._local: dict[str, tuple[int, float, Any]] = {}
        self._generation: tuple[int, float] | None = None
        self._written_until = 0.0  # this process invalidated moments ago

    def _generation_key(self) -> str:
        return f"registry:{self.namespace}:gen"

    def _written_key(self) -> str:
        return f"registry:{self.namespace}:written"

    def _load(self, loader: Callable[[], Any], client: redis.Redis) -> Any:
        if not replica_configured():
            return loader()
        fresh = time.monotonic() < self._written_until
        if not fresh:
            try:
                fresh = bool(client.exists(self._written_key()))
            except redis.RedisError:
                fresh = True  # cannot tell when the last write was: the primary is always right
        return replica_read(loader, fresh=fresh)

    def get_or_load(self, key: str, loader: Callable[[], Any], transform: Callable[[Any], Any] = lambda v: v) -> Any:
        """`loader` returns JSON-able data (shared in Redis); `transform` builds the in-process value."""
        client = get_redis()
        now = time.monotonic()
        known = self._generation
        if known is not None and known[1] > now:
            generation = known[0]
        else:
            try:
                generation = int(client.get(self._generation_key()) or 0)
            except redis.RedisError:
                logger.warning("registry cache unavailable; reading the database", extra={"namespace": self.namespace})
                return transform(self._load(loader, client))
            self._generation = (generation, now + GENERATION_CHECK_SECONDS)
        local = self._local.get(key)
        if local is not None and local[0] == generation and local[1] > now:
            return local[2]
        cache_key = f"registry:{self.namespace}:{generation}:{key}"
        try:
            cached = client.get(cache_key)
        except redis.RedisError:
            cached = None
        if cached is not None:
            data = json.loads(cached)
        else:
            data = json.loads(json.dumps(self._load(loader, client), default=str))
            try:
                client.set(cache_key, json.dumps(data), ex=self.ttl_seconds)
            except redis.RedisError:
                pass
        value = transform(data)
        with self._lock:
            self._local[key] = (generation, now + self.ttl_seconds, value)
        return value

    def invalidate(self) -> None:
        lag = settings.REPLICA_MAX_LAG_SECONDS
        with self._lock:
            self._local.clear()
            self._generation = None
            self._written_until = time.monotonic() + lag
        try:
            client = get_redis()
            if replica_configured():
                client.set(self._written_key(), 1, ex=max(1, lag))
            client.incr(self._generation_key())
        except redis.RedisError:
            # Entries expire within the TTL anyway; say so loudly since reads may be stale until then.
            logger.error("registry cache invalidation failed", extra={"namespace": self.namespace})
