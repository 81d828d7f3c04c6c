"""One Redis client per process and URL (connection pooled), for code outside Django's cache."""

from __future__ import annotations

import functools

import redis
from django.conf import settings


@functools.lru_cache(maxsize=8)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1, health_check_interval=30)


def get_redis() -> redis.Redis:
    return _client(settings.REDIS_URL)
