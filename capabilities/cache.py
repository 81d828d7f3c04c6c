"""The per-tenant response cache (step 6): keyed by tenant, capability version, prompt version
and the hash of the redacted input, so no key can ever serve one tenant another's answer."""

from __future__ import annotations

import json
import logging

import redis

from melmastoon_ai.redis_client import get_redis

logger = logging.getLogger(__name__)
DEGRADED_TTL_SECONDS = 60  # a fallback answer must not outlive a provider's recovery for long


def response_cache_key(*, tenant_id: str, capability_id: str, capability_version: str, prompt_version: str,
                       input_hash: str) -> str:
    return f"resp:{tenant_id}:{capability_id}:{capability_version}:{prompt_version or '-'}:{input_hash}"


def cache_get(key: str) -> dict | None:
    try:
        raw = get_redis().get(key)
    except redis.RedisError:
        logger.warning("response cache unavailable; treating as a miss")
        return None
    return json.loads(raw) if raw else None


def cache_put(key: str, value: dict, *, ttl_seconds: int) -> None:
    if ttl_seconds <= 0:
        return
    try:
        get_redis().set(key, json.dumps(value, ensure_ascii=False), ex=ttl_seconds)
    except redis.RedisError:
        logger.warning("response cache unavailable; answer not cached")


def cache_ttl(*, capability_ttl: int, degraded: bool) -> int:
    return min(capability_ttl, DEGRADED_TTL_SECONDS) if degraded else capability_ttl
