"""Real-time budget counters in Redis: reserve before a model call, settle after it.

Per budget period: `used` and `reserved` tokens and micro-dollars, and the open reservations
(a sorted set by expiry plus their amounts). Reserving checks and takes room on every period of
the request (tenant and feature) in one Lua script, so two processes can never both take the
last tokens; expired reservations (a crashed request) are released by the next script that
touches the period. The PostgreSQL ledger is the truth: a period whose counters are missing
(Redis restarted or was flushed) is rebuilt from it before use.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from melmastoon_ai.redis_client import get_redis

RESERVATION_TTL_SECONDS = 120
# Decrements are written `0 - x`, never `-x`: Lua's -0 becomes the string "-0", which Redis'
# HINCRBY rejects (Valkey accepts it), so a zero-cost reservation would fail only on Redis.

# Give back what reservation `id` holds on period `key` (nothing if it is gone already).
_RELEASE = """
local function release(key, id)
  local amount = redis.call('HGET', key .. ':resamt', id)
  if amount then
    local tokens, micros = string.match(amount, '(%d+):(%d+)')
    redis.call('HINCRBY', key, 'reserved_tokens', 0 - tonumber(tokens))
    redis.call('HINCRBY', key, 'reserved_micros', 0 - tonumber(micros))
    redis.call('HDEL', key .. ':resamt', id)
  end
  redis.call('ZREM', key .. ':res', id)
end
"""

_PURGE = (
    _RELEASE
    + """
local function purge(key, now)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', key .. ':res', '-inf', now)) do
    release(key, id)
  end
end
"""
)

# KEYS: period hash keys. ARGV: now, expiry, reservation id, tokens, micros, then per key: token_limit, micro_limit
# (-1 = none). Returns 0 when all fit (and reserves on all), else the 1-based index of the first that does not.
_RESERVE = (
    _PURGE
    + """
local now, expiry, id = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local tokens, micros = tonumber(ARGV[4]), tonumber(ARGV[5])
for i, key in ipairs(KEYS) do
  purge(key, now)
  local token_limit, micro_limit = tonumber(ARGV[4 + 2 * i]), tonumber(ARGV[5 + 2 * i])
  local used_t = tonumber(redis.call('HGET', key, 'used_tokens') or '0')
  local res_t = tonumber(redis.call('HGET', key, 'reserved_tokens') or '0')
  local used_m = tonumber(redis.call('HGET', key, 'used_micros') or '0')
  local res_m = tonumber(redis.call('HGET', key, 'reserved_micros') or '0')
  if (token_limit >= 0 and used_t + res_t + tokens > token_limit) or
     (micro_limit >= 0 and used_m + res_m + micros > micro_limit) then
    return i
  end
end
for _, key in ipairs(KEYS) do
  redis.call('HINCRBY', key, 'reserved_tokens', tokens)
  redis.call('HINCRBY', key, 'reserved_micros', micros)
  redis.call('ZADD', key .. ':res', expiry, id)
  redis.call('HSET', key .. ':resamt', id, tokens .. ':' .. micros)
end
return 0
"""
)

# KEYS: period hash keys. ARGV: reservation id (may be ''), actual tokens, actual micros. A period
# Redis no longer has is left alone: its next use rebuilds it from the ledger, which has this usage.
_SETTLE = (
    _RELEASE
    + """
local id, tokens, micros = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
for _, key in ipairs(KEYS) do
  if id ~= '' then
    release(key, id)
  end
  if redis.call('EXISTS', key) == 1 then
    redis.call('HINCRBY', key, 'used_tokens', tokens)
    redis.call('HINCRBY', key, 'used_micros', micros)
  end
end
return 1
"""
)


# KEYS[1] period hash. ARGV: used tokens, used micros (from the ledger). Only seeds a missing period.
_REBUILD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'used_tokens', ARGV[1], 'used_micros', ARGV[2], 'reserved_tokens', 0, 'reserved_micros', 0)
return 1
"""


# KEYS[1] period hash. ARGV: used tokens, used micros (from the ledger). Overwrites what was used,
# keeps what is reserved: the period missed settlements while Redis was unreachable.
_RESYNC = """
redis.call('HSET', KEYS[1], 'used_tokens', ARGV[1], 'used_micros', ARGV[2])
redis.call('HSETNX', KEYS[1], 'reserved_tokens', 0)
redis.call('HSETNX', KEYS[1], 'reserved_micros', 0)
return 1
"""


def period_key(period_id: int) -> str:
    return f"budget:{period_id}"


@dataclass(frozen=True)
class Limits:
    tokens: int | None
    micros: int | None


@dataclass(frozen=True)
class Usage:
    used_tokens: int
    reserved_tokens: int
    used_micros: int
    reserved_micros: int


class BudgetCounters:
    def __init__(self, client=None):
        self._client = client or get_redis()
        self._reserve = self._client.register_script(_RESERVE)
        self._settle = self._client.register_script(_SETTLE)
        self._rebuild = self._client.register_script(_REBUILD)
        self._resync = self._client.register_script(_RESYNC)

    def exists(self, period_id: int) -> bool:
        return bool(self._client.exists(period_key(period_id)))

    def rebuild(self, period_id: int, *, used_tokens: int, used_micros: int) -> bool:
        """Seed a missing period from the ledger; False if it exists (another process got there first)."""
        return bool(self._rebuild(keys=[period_key(period_id)], args=[used_tokens, used_micros]))

    def resync(self, period_id: int, *, used_tokens: int, used_micros: int) -> None:
        """Overwrite the period's usage with the ledger's, keeping its open reservations."""
        self._resync(keys=[period_key(period_id)], args=[used_tokens, used_micros])

    def reserve(self, *, reservation_id: str, period_limits: dict[int, Limits], tokens: int, micros: int) -> int:
        """0 when reserved on every period, else the 1-based position of the period that is full."""
        keys = [period_key(period_id) for period_id in period_limits]
        args: list = [
            int(time.time() * 1000),
            int((time.time() + RESERVATION_TTL_SECONDS) * 1000),
            reservation_id,
            tokens,
            micros,
        ]
        for limits in period_limits.values():
            args += [-1 if limits.tokens is None else limits.tokens, -1 if limits.micros is None else limits.micros]
        return int(self._reserve(keys=keys, args=args))

    def settle(self, *, reservation_id: str, period_ids: list[int], tokens: int, micros: int) -> None:
        self._settle(keys=[period_key(period_id) for period_id in period_ids], args=[reservation_id, tokens, micros])

    def usage(self, period_id: int) -> Usage:
        raw = self._client.hgetall(period_key(period_id))
        value = {key.decode(): int(number) for key, number in raw.items()}
        return Usage(
            value.get("used_tokens", 0),
            value.get("reserved_tokens", 0),
            value.get("used_micros", 0),
            value.get("reserved_micros", 0),
        )
