"""Reads of the tenancy app."""

from __future__ import annotations

from melmastoon_ai.tenancy.context import api_key_lookup
from melmastoon_ai.tenancy.models import ApiKey, Tenant


def api_key_by_prefix(*, prefix: str) -> ApiKey | None:
    """Row-level security shows this read only the key with the presented prefix."""
    with api_key_lookup(prefix):
        return ApiKey.objects.filter(prefix=prefix).first()


def tenant_get(*, tenant_id) -> Tenant | None:
    return Tenant.objects.filter(pk=tenant_id).first()
