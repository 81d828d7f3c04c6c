"""Rate limits in Redis (GCRA): smooth, no burst at window edges, shared by every process.

Each call is checked against its (tenant, feature) limit (`Tenant.rate_limit_per_minute`, API.md)
and against the tenant's own limit over every feature together (`RATE_LIMIT_TENANT_MULTIPLIER`
times that), atomically: it passes only if both have room, and then it takes room on both. The
feature is a name the caller chooses, so a tenant may use at most `RATE_LIMIT_MAX_FEATURES`
distinct features a day; calls naming another one share a single `(other)` bucket. Rotating
feature names therefore never adds room beyond the tenant limit.

Redis being down lets traffic through (logged): the limiter protects providers and budgets, and
the budget caps still hold (against the PostgreSQL ledger).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import redis
from django.conf import settings

from melmastoon_ai.redis_client import get_redis

logger = logging.getLogger(__name__)
OTHER_FEATURES = "(other)"

# KEYS[1] tenant TAT, KEYS[2] the tenant's features today (a set), KEYS[3] feature TAT prefix.
# ARGV: tenant interval and tolerance (ms), feature interval and tolerance (ms), feature, max
# features, features-set TTL (s). Returns {allowed (0/1), wait ms, the feature bucket used}.
_GCRA = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local intervals = {tonumber(ARGV[1]), tonumber(ARGV[3])}
local tolerances = {tonumber(ARGV[2]), tonumber(ARGV[4])}
local feature, max_features = ARGV[5], tonumber(ARGV[6])
if redis.call('SISMEMBER', KEYS[2], feature) == 0 then
  if redis.call('SCARD', KEYS[2]) < max_features then
    redis.call('SADD', KEYS[2], feature)
    redis.call('EXPIRE', KEYS[2], tonumber(ARGV[7]))
  else
    feature = '(other)'
  end
end
local keys = {KEYS[1], KEYS[3] .. feature}
local tats = {}
for i, key in ipairs(keys) do
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  if tat - now > tolerances[i] then
    return {0, tat - now - tolerances[i], feature}
  end
  tats[i] = tat
end
for i, key in ipairs(keys) do
  local new_tat = tats[i] + intervals[i]
  redis.call('SET', key, new_tat, 'PX', math.max(1, new_tat - now))
end
return {1, 0, feature}
"""


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after_seconds: int = 0
    bucket: str = ""  # the feature bucket the call counted in (`(other)` past the feature bound)


class RateLimiter:
    def __init__(
        self,
        client: redis.Redis | None = None,
        *,
        max_features: int | None = None,
        tenant_multiplier: int | None = None,
    ):
        self._client = client or get_redis()
        self._script = self._client.register_script(_GCRA)
        self._max_features = settings.RATE_LIMIT_MAX_FEATURES if max_features is None else max_features
        self._multiplier = settings.RATE_LIMIT_TENANT_MULTIPLIER if tenant_multiplier is None else tenant_multiplier

    def hit(self, *, tenant_id: str, feature: str, per_minute: int) -> RateDecision:
        """`per_minute` for the (tenant, feature); the tenant as a whole gets the multiplier's times that."""
        if per_minute <= 0:
            return RateDecision(False, 60)
        day = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
        try:
            allowed, wait_ms, bucket = self._script(
                keys=[
                    f"ratelimit:{tenant_id}",
                    f"ratelimit-features:{tenant_id}:{day}",
                    f"ratelimit:{tenant_id}:feature:",
                ],
                args=[
                    *_gcra(per_minute * self._multiplier),
                    *_gcra(per_minute),
                    feature or "-",
                    self._max_features,
                    2 * 86_400,
                ],
            )
        except redis.RedisError:
            logger.warning("rate limiter unavailable; allowing the request")
            return RateDecision(True)
        bucket = bucket.decode() if isinstance(bucket, bytes) else str(bucket)
        return RateDecision(bool(allowed), 0 if allowed else max(1, -(-int(wait_ms) // 1000)), bucket)


def _gcra(per_minute: int) -> tuple[float, float]:
    """(emission interval, burst tolerance) in ms: a full minute's allowance may arrive at once."""
    interval = 60_000 / per_minute
    return interval, 60_000 - interval
