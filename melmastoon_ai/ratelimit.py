"""Per-(tenant, feature) rate limits in Redis (GCRA): smooth, no burst at window edges, and
shared by every process. Redis being down lets traffic through (logged): the limiter
protects providers and budgets, the budget caps still hold."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis

from melmastoon_ai.redis_client import get_redis

logger = logging.getLogger(__name__)

# KEYS[1] the theoretical arrival time; ARGV[1] emission interval (ms); ARGV[2] burst tolerance (ms)
_GCRA = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat - now > tolerance then
  return {0, tat - now - tolerance}
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], new_tat, 'PX', math.max(1, new_tat - now))
return {1, 0}
"""


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after_seconds: int = 0


class RateLimiter:
    def __init__(self, client: redis.Redis | None = None):
        self._client = client or get_redis()
        self._script = self._client.register_script(_GCRA)

    def hit(self, *, tenant_id: str, feature: str, per_minute: int) -> RateDecision:
        if per_minute <= 0:
            return RateDecision(False, 60)
        interval = 60_000 / per_minute
        tolerance = 60_000 - interval  # a full minute's allowance may arrive at once
        try:
            allowed, wait_ms = self._script(keys=[f"ratelimit:{tenant_id}:{feature or '-'}"],
                                            args=[interval, tolerance])
        except redis.RedisError:
            logger.warning("rate limiter unavailable; allowing the request")
            return RateDecision(True)
        return RateDecision(bool(allowed), 0 if allowed else max(1, -(-int(wait_ms) // 1000)))
