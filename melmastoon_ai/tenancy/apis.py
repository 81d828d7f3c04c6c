from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from melmastoon_ai.api import TenantAPIView
from melmastoon_ai.errors import NotFound
from melmastoon_ai.fields import StrictCharField
from melmastoon_ai.tenancy import services
from melmastoon_ai.tenancy.models import ApiKey


class ApiKeyOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "scopes", "created_at", "expires_at", "revoked_at", "last_used_at"]


class ApiKeyListApi(TenantAPIView):
    required_scope = "ai:admin"

    class ApiKeyCreateInputSerializer(serializers.Serializer):
        name = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
        scopes = serializers.ListField(
            child=serializers.ChoiceField(choices=ApiKey.Scope.choices), min_length=1, max_length=3
        )

    class ApiKeyCreatedSerializer(ApiKeyOutputSerializer):
        key = serializers.CharField(help_text="The key, shown only in this response.")

        class Meta(ApiKeyOutputSerializer.Meta):
            fields = [*ApiKeyOutputSerializer.Meta.fields, "key"]

    @extend_schema(responses=ApiKeyOutputSerializer(many=True), operation_id="api_keys_list")
    def get(self, request):
        keys = ApiKey.objects.filter(tenant_id=self.principal.tenant_id)
        return Response(ApiKeyOutputSerializer(keys, many=True).data)

    @extend_schema(
        request=ApiKeyCreateInputSerializer, responses={201: ApiKeyCreatedSerializer}, operation_id="api_keys_create"
    )
    def post(self, request):
        data = self.ApiKeyCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = services.api_key_create(tenant_id=self.principal.tenant_id, **data.validated_data)
        body = ApiKeyOutputSerializer(issued.key).data | {"key": issued.raw}
        return Response(body, status=status.HTTP_201_CREATED)


class ApiKeyRevokeApi(TenantAPIView):
    required_scope = "ai:admin"

    @extend_schema(request=None, responses=ApiKeyOutputSerializer, operation_id="api_keys_revoke")
    def post(self, request, key_id):
        if not ApiKey.objects.filter(tenant_id=self.principal.tenant_id, pk=key_id).exists():
            raise NotFound("No such API key.")
        key = services.api_key_revoke(tenant_id=self.principal.tenant_id, key_id=key_id)
        return Response(ApiKeyOutputSerializer(key).data)
