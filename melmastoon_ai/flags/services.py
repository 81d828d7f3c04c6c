"""Setting and clearing feature flags: the platform's writes, audited, and seen everywhere at once."""

from __future__ import annotations

import uuid

from django.db import transaction

from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.flags.models import FeatureFlag
from melmastoon_ai.flags.registry import registered_flag
from melmastoon_ai.flags.selectors import FLAG_CACHE
from melmastoon_ai.tenancy.context import platform_access


def check_flag_key(key: str) -> None:
    try:
        registered_flag(key)
    except KeyError as exc:
        raise ApplicationError(str(exc.args[0]), details={"key": key}) from None


def feature_flag_set(
    *, key: str, enabled: bool, actor: str, tenant_id: uuid.UUID | str | None = None, note: str = ""
) -> FeatureFlag:
    """Switch `key` on or off for one tenant, or globally with no tenant."""
    check_flag_key(key)
    with platform_access(actor=actor, reason=f"feature flag {key} {'on' if enabled else 'off'}"):
        flag, _ = FeatureFlag.objects.update_or_create(
            key=key, tenant_id=tenant_id, defaults={"enabled": enabled, "note": note[:200], "updated_by": actor[:200]}
        )
        transaction.on_commit(FLAG_CACHE.invalidate)
    return flag


def feature_flag_clear(*, key: str, actor: str, tenant_id: uuid.UUID | str | None = None) -> bool:
    """Remove the row: the tenant falls back to the global row, the global row to the default."""
    check_flag_key(key)
    with platform_access(actor=actor, reason=f"feature flag {key} cleared"):
        deleted, _ = FeatureFlag.objects.filter(key=key, tenant_id=tenant_id).delete()
        transaction.on_commit(FLAG_CACHE.invalidate)
    return bool(deleted)
