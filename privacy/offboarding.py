"""Tenant offboarding (`manage.py tenant_offboard --tenant T --confirm`): export every row of the
tenant, in every app, as JSON Lines, then delete them all, the tenant's reviewer accounts and its
Redis keys, and report the counts.

Every tenant foreign key is PROTECT, on purpose: deleting a Tenant row must never cascade by
accident. Offboarding therefore deletes the tenant's rows table by table, each table after every
table that points at it (a topological order of the foreign keys between the tenant-owned
models), so no PROTECT is ever hit, and the Tenant row last. It runs under `platform_access` (one
audited PlatformAccessLog row) in one transaction: it all goes, or nothing does.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from melmastoon_ai.redis_client import get_redis
from melmastoon_ai.tenancy.context import data_protection_writes, platform_access
from melmastoon_ai.tenancy.models import Tenant, TenantMembership


@dataclass
class OffboardReport:
    tenant_id: str
    export_path: str
    rows: dict[str, int] = field(default_factory=dict)
    accounts: int = 0
    redis_keys: int = 0


def tenant_models() -> list[type[models.Model]]:
    """Every model with a foreign key to Tenant, each after every model that points at it, and
    the history tables of django-simple-history after all of them."""
    owned = [
        model
        for model in apps.get_models()
        if any(isinstance(f, models.ForeignKey) and f.related_model is Tenant for f in model._meta.fields)
    ]
    pointing_at: dict[type, set[type]] = {model: set() for model in owned}
    for model in owned:
        for f in model._meta.fields:
            if f.is_relation and f.related_model in pointing_at and f.related_model is not model:
                pointing_at[f.related_model].add(model)
    ordered: list[type[models.Model]] = []
    placed: set[type] = set()
    while len(ordered) < len(owned):
        ready = sorted(
            (model for model in owned if model not in placed and pointing_at[model] <= placed),
            key=lambda model: model._meta.label,
        )
        if not ready:
            raise RuntimeError("a cycle of foreign keys between tenant-owned models")
        ordered.extend(ready)
        placed.update(ready)
    # django-simple-history writes a history row when its instance is deleted: its table goes last
    return sorted(ordered, key=lambda model: getattr(model, "instance_type", None) is not None)


def tenant_row_counts(*, tenant_id: uuid.UUID | str, actor: str) -> dict[str, int]:
    """What offboarding would delete, per table (the dry run of the command and the admin)."""
    with platform_access(actor=actor, reason=f"offboarding dry run {tenant_id}"):
        return {
            model._meta.label: model._default_manager.filter(tenant_id=tenant_id).count() for model in tenant_models()
        }


def default_export_dir() -> Path:
    return Path(settings.PRIVACY_OFFBOARDING_EXPORT_DIR)


def _export(path: Path, tenant: Tenant, ordered: list[type[models.Model]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in serializers.serialize("python", [tenant]):
            out.write(json.dumps(row, cls=DjangoJSONEncoder, ensure_ascii=False) + "\n")
        for model in reversed(ordered):  # parents first, as an import would need them
            rows = model._default_manager.filter(tenant_id=tenant.id).order_by("pk").iterator(chunk_size=2000)
            for row in serializers.serialize("python", rows):
                out.write(json.dumps(row, cls=DjangoJSONEncoder, ensure_ascii=False, default=str) + "\n")


def _redis_keys(tenant_id: str, key_ids: list[str], period_ids: list[str]) -> int:
    """The tenant's keys: those named by its id (response cache and its subject index, rate
    limits, flags) found with SCAN MATCH, a one-off of offboarding, and those named by its API
    keys' and budget periods' ids."""
    client = get_redis()
    keys = set(client.scan_iter(match=f"*{tenant_id}*", count=1000))
    keys |= {f"apikey-touch:{key_id}".encode() for key_id in key_ids}
    keys |= {f"budget:{period_id}".encode() for period_id in period_ids}
    deleted = 0
    batch = list(keys)
    for start in range(0, len(batch), 500):
        deleted += client.delete(*batch[start : start + 500])
    return deleted


def tenant_offboard(*, tenant_id: uuid.UUID | str, export_dir: Path, actor: str) -> OffboardReport:
    from budgets.models import BudgetPeriod

    tenant = Tenant.objects.get(pk=tenant_id)
    export_dir.mkdir(parents=True, exist_ok=True)
    path = export_dir / f"tenant-{tenant.id}.jsonl"
    report = OffboardReport(tenant_id=str(tenant.id), export_path=str(path))
    ordered = tenant_models()
    with platform_access(actor=actor, reason=f"offboard tenant {tenant.id}"), data_protection_writes():
        _export(path, tenant, ordered)
        key_ids = [
            str(pk)
            for pk in apps.get_model("tenancy", "ApiKey")
            .objects.filter(tenant_id=tenant.id)
            .values_list("pk", flat=True)
        ]
        period_ids = [str(pk) for pk in BudgetPeriod.objects.filter(tenant_id=tenant.id).values_list("pk", flat=True)]
        user_ids = list(TenantMembership.objects.filter(tenant_id=tenant.id).values_list("user_id", flat=True))
        for model in ordered:
            _, by_model = model._default_manager.filter(tenant_id=tenant.id).delete()  # with what cascades
            report.rows[model._meta.label] = by_model.get(model._meta.label, 0)
        report.accounts = User.objects.filter(pk__in=user_ids).delete()[1].get("auth.User", 0)
        Group.objects.filter(name__startswith=f"{tenant.id}:").delete()
        tenant.delete()
        report.rows["tenancy.Tenant"] = 1
    report.redis_keys = _redis_keys(report.tenant_id, key_ids, period_ids)  # tenant.id is None once deleted
    _invalidate_registry_caches()
    return report


def _invalidate_registry_caches() -> None:
    """The cached credentials, budgets and flags of the tenant must not outlive it."""
    from budgets.selectors import BUDGET_CACHE
    from melmastoon_ai.flags.selectors import FLAG_CACHE
    from melmastoon_ai.tenancy.selectors import CREDENTIAL_CACHE

    for cache in (CREDENTIAL_CACHE, BUDGET_CACHE, FLAG_CACHE):
        cache.invalidate()
