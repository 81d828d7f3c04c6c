"""Admin API of the catalog's routes (scope ai:admin, operator's tenant): a capability's default
model and chains, set by an operator and kept by `seed_catalog`, with their history."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from capabilities.models import Capability
from capabilities.serializers_inference import _contains_nul
from capabilities.services import capability_route_history, capability_route_set, chain_ending_in_fallback
from melmastoon_ai.api import PlatformAdminAPIView
from melmastoon_ai.errors import NotFound
from melmastoon_ai.fields import StrictCharField


class CapabilityRouteSerializer(serializers.Serializer):
    capability = serializers.CharField()
    version = serializers.CharField()
    default_model = serializers.CharField()
    fallback_chain = serializers.ListField(child=serializers.CharField())
    explanation_chain = serializers.ListField(child=serializers.CharField())


class CapabilityRouteChangeSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    change = serializers.CharField()
    by = serializers.CharField()
    reason = serializers.CharField()
    default_model = serializers.CharField()
    fallback_chain = serializers.ListField(child=serializers.CharField())
    explanation_chain = serializers.ListField(child=serializers.CharField())


def _route(capability: Capability) -> dict:
    return {
        "capability": capability.id,
        "version": capability.version,
        "default_model": capability.default_model.name,
        "fallback_chain": list(capability.fallback_chain),
        "explanation_chain": list(capability.explanation_chain),
    }


class CapabilityRouteApi(PlatformAdminAPIView):
    class CapabilityRouteInputSerializer(serializers.Serializer):
        default_model = StrictCharField(max_length=100)
        fallback_chain = serializers.ListField(
            child=StrictCharField(max_length=100),
            max_length=10,
            help_text="models after the default; 'deterministic' is added last",
        )
        explanation_chain = serializers.ListField(child=StrictCharField(max_length=100), max_length=10, required=False)
        reason = StrictCharField(max_length=200, required=False, allow_blank=True, default="")

        def validate(self, attrs: dict) -> dict:
            if _contains_nul(attrs):  # PostgreSQL text cannot hold U+0000
                raise serializers.ValidationError("NUL characters (U+0000) are not accepted.")
            return attrs

    @extend_schema(responses=CapabilityRouteSerializer, operation_id="capability_route_retrieve")
    def get(self, request, capability_id: str):
        capability = Capability.objects.select_related("default_model").filter(pk=capability_id).first()
        if capability is None:
            raise NotFound(f"no capability {capability_id}")
        return Response(CapabilityRouteSerializer(_route(capability)).data)

    @extend_schema(
        request=CapabilityRouteInputSerializer,
        responses=CapabilityRouteSerializer,
        operation_id="capability_route_update",
    )
    def put(self, request, capability_id: str):
        data = self.CapabilityRouteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        capability = capability_route_set(
            capability_id=capability_id,
            default_model=values["default_model"],
            fallback_chain=chain_ending_in_fallback(values["fallback_chain"]),
            explanation_chain=values.get("explanation_chain"),
            actor=f"{request.auth.kind}:{request.auth.credential_id}",
            reason=values["reason"],
        )
        return Response(CapabilityRouteSerializer(_route(capability)).data)


class CapabilityRouteHistoryApi(PlatformAdminAPIView):
    @extend_schema(responses=CapabilityRouteChangeSerializer(many=True), operation_id="capability_route_history")
    def get(self, request, capability_id: str):
        rows = capability_route_history(capability_id=capability_id)
        return Response(CapabilityRouteChangeSerializer(rows, many=True).data)
