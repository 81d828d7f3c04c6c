"""The base of every tenant-facing API view: authenticated, scoped, tenant bound by RLS."""

from __future__ import annotations

from django.db import transaction
from django.utils.decorators import method_decorator
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


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class ProviderCallingAPIView(TenantAPIView):
    """A view that waits on a provider (/complete, /embed, /moderate): it runs outside the request
    transaction and opens short tenant transactions itself (`tenant_context`), none of them across
    the provider call, returning the connection to the pool while it waits (docs/architecture.md,
    "Serving")."""

    atomic_request = False
