"""Circuit breakers per provider (and per self-hosted deployment), shared by every process.

State lives in a Redis hash per breaker and changes only inside Lua scripts, so concurrent
workers agree: closed -> open after N consecutive failures (seed 001: 5) -> half-open after a
cool-down, when exactly one caller is let through as the probe -> closed on its success, open
again on its failure. Redis being unreachable leaves every circuit closed (providers are still
bounded by their timeouts and the request deadline).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis

from melmastoon_ai.redis_client import get_redis

logger = logging.getLogger(__name__)

CLOSED, HALF_OPEN, OPEN = "closed", "half_open", "open"
# ProviderError kinds that are the request's fault, not the provider's: they never count against a
# breaker (five malformed /embed calls must not open Vertex for every tenant's completions).
REQUEST_FAULTS = frozenset({"bad_request", "refused"})
STATE_CODES = {CLOSED: 0, HALF_OPEN: 1, OPEN: 2}

# Time comes from the Redis server, so every process judges cool-downs by the same clock.
_NOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
"""

# KEYS[1] breaker hash; ARGV[1] cool-down (ms); ARGV[2] probe lease (ms)
_ALLOW = (
    """
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state == 'closed' then return 1 end
"""
    + _NOW
    + """
if state == 'open' then
  local opened = tonumber(redis.call('HGET', KEYS[1], 'opened_at') or '0')
  if now - opened < tonumber(ARGV[1]) then return 0 end
  redis.call('HSET', KEYS[1], 'state', 'half_open', 'probe_until', now + tonumber(ARGV[2]))
  return 2
end
local probe_until = tonumber(redis.call('HGET', KEYS[1], 'probe_until') or '0')
if now >= probe_until then
  redis.call('HSET', KEYS[1], 'probe_until', now + tonumber(ARGV[2]))
  return 2
end
return 0
"""
)

# KEYS[1] breaker hash; ARGV[1] threshold
_FAILURE = (
    _NOW
    + """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state == 'half_open' or failures >= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'state', 'open', 'opened_at', now)
  return 1
end
return 0
"""
)


@dataclass(frozen=True)
class BreakerConfig:
    failure_threshold: int = 5
    cooldown_seconds: float = 30.0
    probe_lease_seconds: float = 10.0


class CircuitBreakers:
    def __init__(self, config: BreakerConfig | None = None, client: redis.Redis | None = None):
        self.config = config or BreakerConfig()
        self._client = client or get_redis()
        self._allow = self._client.register_script(_ALLOW)
        self._failure = self._client.register_script(_FAILURE)

    @staticmethod
    def key(name: str) -> str:
        return f"breaker:{name}"

    def allow(self, name: str) -> bool:
        """May a call go to `name` now? (a half-open circuit lets one probe through)"""
        try:
            verdict = self._allow(
                keys=[self.key(name)],
                args=[int(self.config.cooldown_seconds * 1000), int(self.config.probe_lease_seconds * 1000)],
            )
        except redis.RedisError:
            logger.warning("circuit breaker state unavailable; treating the circuit as closed")
            return True
        return bool(verdict)

    def record_success(self, name: str) -> None:
        try:
            self._client.hset(self.key(name), mapping={"state": CLOSED, "failures": 0, "probe_until": 0})
        except redis.RedisError:
            logger.warning("circuit breaker state unavailable; success not recorded")

    def record_failure(self, name: str) -> bool:
        """Count a failure; True when this failure opened the circuit."""
        try:
            opened = self._failure(keys=[self.key(name)], args=[self.config.failure_threshold])
        except redis.RedisError:
            logger.warning("circuit breaker state unavailable; failure not recorded")
            return False
        if opened:
            logger.warning("circuit opened", extra={"breaker": name})
        return bool(opened)

    def state(self, name: str) -> str:
        try:
            raw = self._client.hget(self.key(name), "state")
        except redis.RedisError:
            return "unknown"
        return raw.decode() if raw else CLOSED

    def states(self, names: list[str]) -> dict[str, str]:
        return {name: self.state(name) for name in names}


def record_attempt(breakers, name: str, error_kind: str | None) -> None:
    """The one accounting rule for every provider call (completions, embeddings, moderation):
    a success closes, a provider fault (timeout, 5xx, connection, malformed answer, throttling)
    counts, the request's own fault (`REQUEST_FAULTS`) does neither."""
    if breakers is None:
        return
    if error_kind is None:
        breakers.record_success(name)
    elif error_kind not in REQUEST_FAULTS:
        breakers.record_failure(name)
