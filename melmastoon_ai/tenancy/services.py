"""Writes of the tenancy app: tenants and API keys."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
import time
import uuid
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from melmastoon_ai.errors import ApplicationError, NotFound
from melmastoon_ai.redis_client import get_redis
from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.tenancy.models import ApiKey, Tenant
from melmastoon_ai.tenancy.selectors import CREDENTIAL_CACHE

KEY_PREFIX = "mlm_"
_PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
VALID_SCOPES = frozenset(choice.value for choice in ApiKey.Scope)


def hash_api_key(raw_key: str) -> str:
    # API keys carry 256 bits of randomness, so a fast hash is safe (unlike passwords).
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_matches(raw_key: str, key_hash: str) -> bool:
    return hmac.compare_digest(hash_api_key(raw_key), key_hash)


def parse_api_key(raw_key: str) -> str | None:
    """The lookup prefix of a well-formed key (`mlm_<prefix>_<secret>`), else None."""
    if not raw_key.startswith(KEY_PREFIX):
        return None
    prefix, sep, secret = raw_key[len(KEY_PREFIX) :].partition("_")
    if not sep or not (8 <= len(prefix) <= 16) or len(secret) < 20:
        return None
    return prefix


def tenant_create(
    *,
    name: str,
    region: str = "europe-west1",
    monthly_token_limit: int | None = None,
    country: str = "",
    data_residency: str = Tenant.Residency.ANY,
    operator: bool = False,
) -> Tenant:
    """The tenant, and whatever the apps above the kernel set up for a new tenant (settings.
    TENANT_SETUP: its monthly budget), in one transaction."""
    name = name.strip()
    if not name:
        raise ApplicationError("A tenant needs a name.")
    if monthly_token_limit is not None and monthly_token_limit < 0:
        raise ApplicationError("monthly_token_limit must be >= 0.")
    with transaction.atomic():
        tenant = Tenant.objects.create(
            name=name,
            region=region,
            monthly_token_limit=monthly_token_limit,
            country=country.upper(),
            data_residency=data_residency,
            operator=operator,
        )
        tenant_setup(tenant=tenant)
    return tenant


def tenant_setup(*, tenant: Tenant) -> None:
    """Run what the apps above the kernel set up for a new tenant (settings.TENANT_SETUP), in the
    caller's transaction. Idempotent: each step creates only what is missing."""
    with tenant_context(tenant.id):
        for dotted in settings.TENANT_SETUP:
            import_string(dotted)(tenant=tenant)


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    raw: str  # shown once, never stored


def check_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - VALID_SCOPES)
    if unknown or not scopes:
        raise ApplicationError(
            f"Scopes must be a non-empty subset of {sorted(VALID_SCOPES)}.", details={"unknown": unknown}
        )
    return sorted(set(scopes))


def api_key_create(*, tenant_id: uuid.UUID, scopes: list[str], name: str = "") -> IssuedKey:
    scopes = check_scopes(scopes)
    if not Tenant.objects.filter(pk=tenant_id).exists():
        raise NotFound("No such tenant.")
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(10))
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with tenant_context(tenant_id):
        key = ApiKey.objects.create(
            tenant_id=tenant_id, name=name, prefix=prefix, key_hash=hash_api_key(raw), scopes=scopes
        )
    return IssuedKey(key=key, raw=raw)


def api_key_revoke(*, tenant_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    with tenant_context(tenant_id):
        keys = ApiKey.objects.filter(tenant_id=tenant_id, pk=key_id)
        updated = keys.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        key = keys.first()
        transaction.on_commit(CREDENTIAL_CACHE.invalidate)
    if key is None:
        raise NotFound("No such API key.")
    if not updated and key.revoked_at is None:
        raise ApplicationError("The key could not be revoked.")
    return key


_last_touched: dict[str, float] = {}
_TOUCH_SQL = """
UPDATE tenancy_apikey SET last_used_at = %s
WHERE id IN (SELECT id FROM tenancy_apikey WHERE id = %s AND (last_used_at IS NULL OR last_used_at < %s)
             FOR UPDATE SKIP LOCKED)
"""


def _touch_due(key_id: str, resolution_seconds: int) -> bool:
    """At most once per `resolution_seconds` per key across the fleet (a Redis SET NX), and per
    process as well, so Redis is asked at most once a minute per key; Redis down: per process."""
    moment = time.monotonic()
    if moment - _last_touched.get(key_id, -math.inf) < resolution_seconds:
        return False
    _last_touched[key_id] = moment
    try:
        return bool(get_redis().set(f"apikey-touch:{key_id}", 1, nx=True, ex=resolution_seconds))
    except redis.RedisError:
        return True


def api_key_touch(*, tenant_id: uuid.UUID, key_id: str, resolution_seconds: int) -> None:
    """Record that a key was used, off the request's critical path: after the request's transaction
    commits (or at once in a short transaction of its own when there is none), at most once a
    minute per key, and never waiting on a row lock (SKIP LOCKED: a busy row is touched next time)."""
    if not _touch_due(key_id, resolution_seconds):
        return

    def touch() -> None:
        now = timezone.now()
        with tenant_context(tenant_id), connection.cursor() as cursor:
            cursor.execute(_TOUCH_SQL, [now, key_id, now - dt.timedelta(seconds=resolution_seconds)])

    transaction.on_commit(touch)
