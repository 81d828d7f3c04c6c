"""Is a flag on for a tenant? Read through the registry cache (copying prompts/selectors.py's
`prompt_version_for`): one process-local dict per tenant, refreshed at least every
FEATURE_FLAGS_REFRESH_SECONDS (seed 000's 30 s ticker) and at once after a change made anywhere
(the services invalidate the cache's generation). Redis down: the rows are read from PostgreSQL.
"""

from __future__ import annotations

import uuid

from django.conf import settings

from melmastoon_ai.flags.models import FeatureFlag
from melmastoon_ai.flags.registry import registered_flag
from melmastoon_ai.registry_cache import RegistryCache
from melmastoon_ai.tenancy.context import tenant_context

FLAG_CACHE = RegistryCache("flags", ttl_seconds=settings.FEATURE_FLAGS_REFRESH_SECONDS)


def _load_for(tenant_id: str) -> dict[str, bool]:
    # In the tenant's own context, whatever the caller's: the tenant's rows are under RLS, and what
    # is loaded here is cached for every process.
    with tenant_context(tenant_id):
        values = {row.key: row.enabled for row in FeatureFlag.objects.filter(tenant__isnull=True)}
        values.update({row.key: row.enabled for row in FeatureFlag.objects.filter(tenant_id=tenant_id)})
    return values


def flag_values_for(*, tenant_id: uuid.UUID | str) -> dict[str, bool]:
    """The rows that apply to this tenant (its own over the global ones); registered defaults not included."""
    tenant = str(uuid.UUID(str(tenant_id)))
    return FLAG_CACHE.get_or_load(f"tenant:{tenant}", lambda: _load_for(tenant))


def flag_enabled(*, tenant_id: uuid.UUID | str, key: str) -> bool:
    default = registered_flag(key).default
    return flag_values_for(tenant_id=tenant_id).get(key, default)


def flags_off(*, tenant_id: uuid.UUID | str, keys: tuple[str, ...]) -> frozenset[str]:
    """Which of `keys` are off for this tenant (one cached read for all of them)."""
    values = flag_values_for(tenant_id=tenant_id)
    return frozenset(key for key in keys if not values.get(key, registered_flag(key).default))
