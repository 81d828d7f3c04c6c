"""The per-tenant response cache (step 6): keyed by tenant, capability version, prompt version
and the hash of the redacted input, so no key can ever serve one tenant another's answer."""

from __future__ import annotations

import json
import logging

import redis

from melmastoon_ai.flags.registry import register_flag
from melmastoon_ai.flags.selectors import flag_enabled
from melmastoon_ai.redis_client import get_redis

logger = logging.getLogger(__name__)
DEGRADED_TTL_SECONDS = 60  # a fallback answer must not outlive a provider's recovery for long
CACHE_FLAG = "response_cache"


def register_cache_flag() -> None:
    register_flag(
        CACHE_FLAG,
        default=True,
        description="answer repeated requests from the response cache (off: neither read nor written)",
    )


def cache_switched_on(*, tenant_id: str) -> bool:
    """The feature flag over the tenant's own `cache_enabled` setting: both must allow the cache."""
    return flag_enabled(tenant_id=tenant_id, key=CACHE_FLAG)


def response_cache_key(
    *, tenant_id: str, capability_id: str, capability_version: str, prompt_version: str, input_hash: str
) -> str:
    return f"resp:{tenant_id}:{capability_id}:{capability_version}:{prompt_version or '-'}:{input_hash}"


def cache_get(key: str) -> dict | None:
    try:
        raw = get_redis().get(key)
    except redis.RedisError:
        logger.warning("response cache unavailable; treating as a miss")
        return None
    return json.loads(raw) if raw else None


def subject_index_key(*, tenant_id: str, digest: str) -> str:
    """The set of the response-cache keys whose input named a data subject (by digest,
    melmastoon_ai/subjects.py): an erasure deletes them without scanning Redis."""
    return f"resp-subject:{tenant_id}:{digest}"


def cache_put(
    key: str, value: dict, *, ttl_seconds: int, tenant_id: str = "", subject_digests: tuple[str, ...] | list[str] = ()
) -> None:
    """Each subject's index lives at least as long as the entry it lists (EXPIRE NX, then GT)."""
    if ttl_seconds <= 0:
        return
    try:
        pipe = get_redis().pipeline(transaction=False)
        pipe.set(key, json.dumps(value, ensure_ascii=False), ex=ttl_seconds)
        for digest in subject_digests:
            index = subject_index_key(tenant_id=tenant_id, digest=digest)
            pipe.sadd(index, key)
            pipe.expire(index, ttl_seconds, nx=True)
            pipe.expire(index, ttl_seconds, gt=True)
        pipe.execute()
    except redis.RedisError:
        logger.warning("response cache unavailable; answer not cached")


def cache_forget_subject(*, tenant_id: str, digests: list[str]) -> int:
    """Delete the cached answers whose input named the subject, and its index sets; the number of
    entries deleted. Raises on a Redis error (an erasure must not report a cache it did not clear)."""
    client = get_redis()
    deleted = 0
    for digest in digests:
        index = subject_index_key(tenant_id=tenant_id, digest=digest)
        members = [member.decode() if isinstance(member, bytes) else str(member) for member in client.smembers(index)]
        keys = [key for key in members if key.startswith(f"resp:{tenant_id}:")]
        if keys:
            deleted += client.delete(*keys)
        client.delete(index)
    return deleted


def cache_ttl(*, capability_ttl: int, degraded: bool) -> int:
    return min(capability_ttl, DEGRADED_TTL_SECONDS) if degraded else capability_ttl
