"""The base of every tenant-facing API view: authenticated, scoped, tenant bound by RLS."""

from __future__ import annotations

from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from melmastoon_ai.tenancy.authentication import Principal
from melmastoon_ai.tenancy.permissions import OperatorTenantRequired, ScopeRequired


class TenantAPIView(APIView):
    """Subclasses set `required_scope`; `self.principal` is the authenticated caller."""

    permission_classes = [IsAuthenticated, ScopeRequired]
    required_scope: str = "ai:invoke"

    @property
    def principal(self) -> Principal:
        return self.request.auth


class PlatformAdminAPIView(TenantAPIView):
    """Administration of platform-wide resources: scope ai:admin on a credential of the operator's
    tenant (Tenant.operator). Another tenant's ai:admin key gets 403."""

    permission_classes = [IsAuthenticated, ScopeRequired, OperatorTenantRequired]
    required_scope = "ai:admin"
