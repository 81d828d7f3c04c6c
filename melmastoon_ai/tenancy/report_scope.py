"""Whose rows a report reads: the caller's own tenant, or, for the platform operator, any tenant.

Every report API (usage, inferences, HITL gates) is scoped to the caller's tenant. A credential of
the operator's tenant (Tenant.operator) with scope `ai:admin` may pass `tenant=<id>` for one
tenant or `tenant=all` for every tenant; that read goes through the audited platform path
(`platform_access`: one PlatformAccessLog row naming the credential and the query). The eval
tenant's own traffic is left out of `tenant=all` unless `include_eval=true` asks for it.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

from django.conf import settings

from melmastoon_ai.errors import ApplicationError, NotFound
from melmastoon_ai.tenancy.context import platform_access
from melmastoon_ai.tenancy.models import Tenant

ALL_TENANTS = "all"


class OperatorOnly(ApplicationError):
    status = 403
    code = "forbidden"


@dataclass(frozen=True)
class ReportScope:
    """`tenant_ids` None: every tenant but `excluded_tenant_ids`. `audit_reason` set: the read
    crosses tenants and goes through `platform_access`."""

    tenant_ids: tuple[uuid.UUID, ...] | None
    excluded_tenant_ids: tuple[uuid.UUID, ...] = ()
    actor: str = ""
    audit_reason: str = ""

    @property
    def cross_tenant(self) -> bool:
        return bool(self.audit_reason)

    @contextmanager
    def reading(self):
        with platform_access(actor=self.actor, reason=self.audit_reason) if self.cross_tenant else nullcontext():
            yield


def _flag(raw: str | None, name: str) -> bool:
    if raw in (None, "false"):
        return False
    if raw == "true":
        return True
    raise ApplicationError(f"{name} is true or false.", details={name: raw})


def report_scope(request, principal) -> ReportScope:
    """The scope a report request asks for, checked: 403 for `tenant=` from anyone but the
    operator's ai:admin, 404 for a tenant that does not exist, 400 for a malformed one."""
    raw = request.query_params.get("tenant", "")
    include_eval = _flag(request.query_params.get("include_eval"), "include_eval")
    own = (principal.tenant_id,)
    if not raw or raw == str(principal.tenant_id):
        return ReportScope(tenant_ids=own)
    if not (principal.tenant.operator and principal.has_scope("ai:admin")):
        raise OperatorOnly(
            "Only the platform operator's ai:admin credential may read another tenant's reports.",
            details={"tenant": raw[:64]},
        )
    actor = f"{principal.kind}:{principal.credential_id}"
    reason = f"{request.method} {request.get_full_path()}"[:200]
    if raw == ALL_TENANTS:
        excluded = () if include_eval else (uuid.UUID(settings.EVAL_TENANT_ID),)
        return ReportScope(tenant_ids=None, excluded_tenant_ids=excluded, actor=actor, audit_reason=reason)
    try:
        tenant_id = uuid.UUID(raw)
    except ValueError as exc:
        raise ApplicationError("tenant is a tenant id or `all`.", details={"tenant": raw[:64]}) from exc
    if not Tenant.objects.filter(pk=tenant_id).exists():
        raise NotFound("No such tenant.", details={"tenant": raw})
    return ReportScope(tenant_ids=(tenant_id,), actor=actor, audit_reason=reason)
