"""The tenant's webhook administration, /api/v1/admin/webhooks (scope ai:admin, its own only)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from melmastoon_ai.api import TenantAPIView
from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.fields import StrictBooleanField, StrictCharField
from melmastoon_ai.pagination import PAGE_PARAMETERS, decode_cursor, encode_cursor, next_url, page_limit
from melmastoon_ai.webhooks import selectors, services
from melmastoon_ai.webhooks.models import WebhookDelivery, WebhookEndpoint


class EndpointOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "event_types",
            "description",
            "active",
            "secret_hint",
            "previous_secret_expires_at",
            "created_at",
            "updated_at",
        ]


class EndpointWithSecretSerializer(EndpointOutputSerializer):
    secret = serializers.CharField(help_text="The signing secret, shown only in this response.")

    class Meta(EndpointOutputSerializer.Meta):
        fields = [*EndpointOutputSerializer.Meta.fields, "secret"]


class DeliveryOutputSerializer(serializers.ModelSerializer):
    endpoint_id = serializers.UUIDField()

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint_id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
            "updated_at",
        ]


class DeliveryPageSerializer(serializers.Serializer):
    results = DeliveryOutputSerializer(many=True)
    next = serializers.CharField(allow_null=True)


def _event_types_field(**kwargs) -> serializers.ListField:
    return serializers.ListField(child=StrictCharField(max_length=100), min_length=1, max_length=50, **kwargs)


class EndpointInputSerializer(serializers.Serializer):
    url = StrictCharField(max_length=2000)
    event_types = _event_types_field()
    description = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    active = StrictBooleanField(required=False, default=True)


class EndpointUpdateSerializer(serializers.Serializer):
    url = StrictCharField(max_length=2000, required=False)
    event_types = _event_types_field(required=False)
    description = StrictCharField(max_length=200, required=False, allow_blank=True)
    active = StrictBooleanField(required=False)


class RotateSecretInputSerializer(serializers.Serializer):
    grace_seconds = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=services.MAX_ROTATION_GRACE_SECONDS,
        help_text="how long the old secret keeps signing next to the new one; default "
        "WEBHOOK_ROTATION_GRACE_SECONDS (24 h); 0 retires it at once",
    )


def _issued(issued: services.IssuedEndpoint) -> dict:
    return EndpointOutputSerializer(issued.endpoint).data | {"secret": issued.secret}


class WebhookListApi(TenantAPIView):
    required_scope = "ai:admin"

    @extend_schema(responses=EndpointOutputSerializer(many=True), operation_id="webhooks_list")
    def get(self, request):
        endpoints = selectors.webhook_endpoint_list(tenant_id=self.principal.tenant_id)
        return Response(EndpointOutputSerializer(endpoints, many=True).data)

    @extend_schema(
        request=EndpointInputSerializer, responses={201: EndpointWithSecretSerializer}, operation_id="webhooks_create"
    )
    def post(self, request):
        data = EndpointInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = services.webhook_endpoint_create(tenant_id=self.principal.tenant_id, **data.validated_data)
        return Response(_issued(issued), status=status.HTTP_201_CREATED)


class WebhookDetailApi(TenantAPIView):
    required_scope = "ai:admin"

    @extend_schema(responses=EndpointOutputSerializer, operation_id="webhooks_get")
    def get(self, request, endpoint_id):
        endpoint = selectors.webhook_endpoint_get(tenant_id=self.principal.tenant_id, endpoint_id=endpoint_id)
        return Response(EndpointOutputSerializer(endpoint).data)

    @extend_schema(request=EndpointUpdateSerializer, responses=EndpointOutputSerializer, operation_id="webhooks_update")
    def patch(self, request, endpoint_id):
        endpoint = selectors.webhook_endpoint_get(tenant_id=self.principal.tenant_id, endpoint_id=endpoint_id)
        data = EndpointUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not data.validated_data:
            raise ApplicationError("Nothing to change: send url, event_types, description or active.")
        endpoint = services.webhook_endpoint_update(endpoint=endpoint, **data.validated_data)
        return Response(EndpointOutputSerializer(endpoint).data)

    @extend_schema(request=None, responses={204: None}, operation_id="webhooks_delete")
    def delete(self, request, endpoint_id):
        endpoint = selectors.webhook_endpoint_get(tenant_id=self.principal.tenant_id, endpoint_id=endpoint_id)
        endpoint.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateSecretApi(TenantAPIView):
    required_scope = "ai:admin"

    @extend_schema(
        request=RotateSecretInputSerializer,
        responses=EndpointWithSecretSerializer,
        operation_id="webhooks_rotate_secret",
    )
    def post(self, request, endpoint_id):
        endpoint = selectors.webhook_endpoint_get(tenant_id=self.principal.tenant_id, endpoint_id=endpoint_id)
        data = RotateSecretInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = services.webhook_endpoint_rotate_secret(endpoint=endpoint, **data.validated_data)
        return Response(_issued(issued))


class WebhookDeliveryListApi(TenantAPIView):
    required_scope = "ai:admin"

    @extend_schema(
        parameters=[
            *PAGE_PARAMETERS,
            OpenApiParameter(
                "status", str, enum=WebhookDelivery.Status.values, description="only deliveries in this state"
            ),
        ],
        responses=DeliveryPageSerializer,
        operation_id="webhooks_deliveries_list",
    )
    def get(self, request, endpoint_id):
        endpoint = selectors.webhook_endpoint_get(tenant_id=self.principal.tenant_id, endpoint_id=endpoint_id)
        wanted = request.query_params.get("status")
        if wanted is not None and wanted not in WebhookDelivery.Status.values:
            raise ApplicationError(
                f"status is one of {', '.join(WebhookDelivery.Status.values)}.", details={"status": wanted[:50]}
            )
        limit = page_limit(request.query_params.get("limit"))
        after = decode_cursor(request.query_params.get("cursor"), ("created_at", "id"))
        try:
            rows, last = selectors.webhook_delivery_page(
                tenant_id=self.principal.tenant_id, endpoint_id=endpoint.id, status=wanted, limit=limit, after=after
            )
        except DjangoValidationError as exc:  # a forged cursor's values are not a time and an id
            raise ApplicationError("The cursor is not one this list returned.") from exc
        results = DeliveryOutputSerializer(rows, many=True).data
        return Response({"results": results, "next": next_url(request, encode_cursor(last) if last else None)})


class WebhookRedeliverApi(TenantAPIView):
    required_scope = "ai:admin"

    @extend_schema(request=None, responses=DeliveryOutputSerializer, operation_id="webhooks_redeliver")
    def post(self, request, endpoint_id, delivery_id):
        delivery = selectors.webhook_delivery_get(
            tenant_id=self.principal.tenant_id, endpoint_id=endpoint_id, delivery_id=delivery_id
        )
        return Response(DeliveryOutputSerializer(services.webhook_delivery_redeliver(delivery=delivery)).data)
