"""Reads of the tenancy app."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from django.forms.models import model_to_dict
from django.utils.dateparse import parse_datetime

from melmastoon_ai.registry_cache import RegistryCache
from melmastoon_ai.tenancy.context import api_key_lookup, membership_lookup
from melmastoon_ai.tenancy.models import ApiKey, Tenant, TenantMembership

# Verified keys, by the SHA-256 of the key (what the database stores too), for a minute;
# any change to a key or its tenant (revocation, suspension) invalidates the lot.
CREDENTIAL_CACHE = RegistryCache("credentials", ttl_seconds=60)
_TENANT_FIELDS = [field.name for field in Tenant._meta.fields]


@dataclass(frozen=True)
class KeyCredential:
    key_id: str
    key_hash: str
    scopes: tuple[str, ...]
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    tenant: Tenant

    def usable_at(self, moment: dt.datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > moment


def api_key_by_prefix(*, prefix: str) -> ApiKey | None:
    """Row-level security shows this read only the key with the presented prefix."""
    with api_key_lookup(prefix):
        return ApiKey.objects.select_related("tenant").filter(prefix=prefix).first()


def _credential_row(prefix: str, key_hash: str) -> dict | None:
    key = api_key_by_prefix(prefix=prefix)
    if key is None or not hmac.compare_digest(key.key_hash, key_hash):
        return None
    return {
        "key_id": str(key.id),
        "key_hash": key.key_hash,
        "scopes": list(key.scopes),
        "expires_at": key.expires_at,
        "revoked_at": key.revoked_at,
        "tenant": model_to_dict(key.tenant, fields=_TENANT_FIELDS) | {"id": str(key.tenant_id)},
    }


def _to_credential(row: dict | None) -> KeyCredential | None:
    if row is None:
        return None
    tenant = row["tenant"]
    created = tenant.get("created_at")
    tenant = tenant | {"created_at": parse_datetime(created) if isinstance(created, str) else created}
    moments = {
        name: parse_datetime(row[name]) if isinstance(row[name], str) else row[name]
        for name in ("expires_at", "revoked_at")
    }
    return KeyCredential(
        key_id=row["key_id"], key_hash=row["key_hash"], scopes=tuple(row["scopes"]), tenant=Tenant(**tenant), **moments
    )


def api_key_credential(*, prefix: str, key_hash: str) -> KeyCredential | None:
    return CREDENTIAL_CACHE.get_or_load(key_hash, lambda: _credential_row(prefix, key_hash), _to_credential)


def tenant_get(*, tenant_id) -> Tenant | None:
    return Tenant.objects.filter(pk=tenant_id).first()


def membership_for_user(*, user_id: int) -> TenantMembership | None:
    """The tenant a reviewer account belongs to; row-level security shows this read only that row."""
    with membership_lookup(user_id):
        return TenantMembership.objects.select_related("tenant").filter(user_id=user_id).first()
