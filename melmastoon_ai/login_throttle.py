"""One throttle for every password login: the reviewer pages (/hitl/login/) and the admin (/admin/).

Attempts are counted in Redis per normalised username (across all addresses: a brute force on one
account) and per client address (across all usernames: a password spray), in a fixed window. A
successful login gives its attempt back, so only failures accumulate. The username is keyed as
Django will compare it, and stricter: stripped, NFKC-normalised and case-folded, so `'revb '`,
`' revb'`, `'ｒｅｖｂ'` and `'REVB'` share one count. IPv6 clients are counted per /64, which one
host usually holds whole. The attempt is counted before the password is checked, so a throttled
caller learns nothing even with the right password. Redis being down refuses logins (fail
closed): unlike the request rate limiter, a login throttle that fails open is no throttle.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import unicodedata
from dataclasses import dataclass

import redis
from django import forms
from django.conf import settings

from melmastoon_ai.redis_client import get_redis

logger = logging.getLogger(__name__)
KEY_PREFIX = "login-throttle"
THROTTLED, UNAVAILABLE = "login_throttled", "login_unavailable"  # form error codes
STATUS_FOR_ERROR = {THROTTLED: 429, UNAVAILABLE: 503}

# KEYS: the username's and the address's counters. ARGV: window (s), username limit, address limit.
# Both count the attempt; it is allowed only when neither is past its limit.
_ATTEMPT = """
local user = redis.call('INCR', KEYS[1])
if user == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local address = redis.call('INCR', KEYS[2])
if address == 1 then redis.call('EXPIRE', KEYS[2], ARGV[1]) end
if user > tonumber(ARGV[2]) or address > tonumber(ARGV[3]) then
  return {0, math.max(redis.call('TTL', KEYS[1]), redis.call('TTL', KEYS[2]))}
end
return {1, 0}
"""
# A success: the username starts afresh, the address gets its attempt back.
_SUCCEEDED = """
redis.call('DEL', KEYS[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
return 1
"""


class LoginUnavailable(Exception):
    """The throttle cannot count (Redis is down): the login is refused."""


@dataclass(frozen=True)
class LoginDecision:
    allowed: bool
    retry_after_seconds: int = 0


def normalize_username(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw.strip()).strip().casefold()[:300]


def client_address(request) -> str:
    """The caller's address: REMOTE_ADDR, or the entry TRUSTED_PROXY_COUNT hops from the right of
    X-Forwarded-For when that many proxies of ours stand in front. IPv6 as its /64."""
    address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    hops = settings.TRUSTED_PROXY_COUNT
    if hops and request is not None:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or "-"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


class LoginThrottle:
    def __init__(self, client: redis.Redis | None = None) -> None:
        self._client = client or get_redis()
        self._attempt = self._client.register_script(_ATTEMPT)
        self._succeeded = self._client.register_script(_SUCCEEDED)

    @staticmethod
    def keys(*, username: str, address: str) -> list[str]:
        user = hashlib.sha256(normalize_username(username).encode()).hexdigest()
        return [f"{KEY_PREFIX}:user:{user}", f"{KEY_PREFIX}:address:{address}"]

    def attempt(self, *, username: str, address: str) -> LoginDecision:
        try:
            allowed, wait = self._attempt(
                keys=self.keys(username=username, address=address),
                args=[
                    settings.LOGIN_THROTTLE_WINDOW_SECONDS,
                    settings.LOGIN_ATTEMPTS_PER_USERNAME,
                    settings.LOGIN_ATTEMPTS_PER_ADDRESS,
                ],
            )
        except redis.RedisError as exc:
            logger.error("login throttle unavailable; refusing the login")
            raise LoginUnavailable from exc
        return LoginDecision(bool(allowed), 0 if allowed else max(1, int(wait)))

    def succeeded(self, *, username: str, address: str) -> None:
        try:
            self._succeeded(keys=self.keys(username=username, address=address))
        except redis.RedisError:
            logger.warning("login throttle unavailable; the successful attempt stays counted")


class ThrottledLoginFormMixin:
    """For an AuthenticationForm: count the attempt before authenticating, give it back on success."""

    def clean(self):
        username = str(self.data.get("username") or "")
        address = client_address(self.request)
        throttle = LoginThrottle()
        try:
            decision = throttle.attempt(username=username, address=address)
        except LoginUnavailable as exc:
            raise forms.ValidationError(
                "Logging in is unavailable right now; try again in a minute.", code=UNAVAILABLE
            ) from exc
        if not decision.allowed:
            minutes = -(-decision.retry_after_seconds // 60)
            raise forms.ValidationError(f"Too many login attempts; try again in {minutes} min.", code=THROTTLED)
        cleaned = super().clean()
        throttle.succeeded(username=username, address=address)
        return cleaned


def login_status(form) -> int:
    """The HTTP status of a login page showing `form`: 429 throttled, 503 unavailable, else 200."""
    if form is None or not form.is_bound:
        return 200
    for error in form.errors.as_data().get("__all__", []):
        if error.code in STATUS_FOR_ERROR:
            return STATUS_FOR_ERROR[error.code]
    return 200
