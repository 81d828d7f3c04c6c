from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from capabilities.selectors import capability_get, capability_list
from capabilities.serializers import CapabilityDetailSerializer, CapabilitySummarySerializer
from melmastoon_ai.api import TenantAPIView
from melmastoon_ai.errors import NotFound


class UnknownCapability(NotFound):
    code = "unknown_capability"


class CapabilityListApi(TenantAPIView):
    required_scope = "ai:invoke"

    @extend_schema(responses=CapabilitySummarySerializer(many=True), operation_id="capabilities_list")
    def get(self, request):
        return Response(CapabilitySummarySerializer(capability_list(), many=True).data)


class CapabilityDetailApi(TenantAPIView):
    required_scope = "ai:invoke"

    @extend_schema(responses=CapabilityDetailSerializer, operation_id="capabilities_retrieve")
    def get(self, request, capability_id: str):
        spec = capability_get(capability_id=capability_id)
        if spec is None:
            raise UnknownCapability(f"No capability {capability_id!r}.", details={"capability": capability_id})
        return Response(CapabilityDetailSerializer(spec).data)
