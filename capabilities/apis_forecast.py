"""Batch demand forecasts: submit many `pricing.demand_forecast` requests as one job, then poll it."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from capabilities.forecast_batches import MAX_ITEMS, forecast_batch_get, forecast_batch_submit
from capabilities.serializers_inference import CompletionContextSerializer, _contains_nul
from melmastoon_ai.api import TenantAPIView


class ForecastBatchItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    inference_id = serializers.UUIDField(required=False)
    degraded = serializers.BooleanField(required=False)
    output = serializers.DictField(required=False, help_text="a DemandForecast")
    error = serializers.DictField(required=False, help_text="code and message of an item that failed")


class ForecastBatchSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["queued", "running", "completed"])
    items = serializers.SerializerMethodField()
    done = serializers.SerializerMethodField()
    results = ForecastBatchItemResultSerializer(many=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_items(self, batch) -> int:
        return len(batch.items)

    def get_done(self, batch) -> int:
        return len(batch.results)


class ForecastBatchListApi(TenantAPIView):
    class ForecastBatchInputSerializer(serializers.Serializer):
        items = serializers.ListField(
            child=serializers.DictField(),
            min_length=1,
            max_length=MAX_ITEMS,
            help_text="DemandForecastRequest inputs (each valid against its input schema)",
        )
        context = CompletionContextSerializer(required=False)  # type: ignore[assignment]  # DRF stubs: a nested serializer

        def validate_items(self, value: list) -> list:
            if _contains_nul(value):
                raise serializers.ValidationError("NUL characters (U+0000) are not accepted in items.")
            return value

    @extend_schema(
        request=ForecastBatchInputSerializer,
        responses={202: ForecastBatchSerializer},
        operation_id="forecast_batch_create",
    )
    def post(self, request):
        data = self.ForecastBatchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        context = dict(data.validated_data.get("context") or CompletionContextSerializer({}).data)
        batch = forecast_batch_submit(tenant=self.principal.tenant, items=data.validated_data["items"], context=context)
        return Response(ForecastBatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)


class ForecastBatchDetailApi(TenantAPIView):
    @extend_schema(responses=ForecastBatchSerializer, operation_id="forecast_batch_retrieve")
    def get(self, request, batch_id: uuid.UUID):
        batch = forecast_batch_get(tenant_id=self.principal.tenant_id, batch_id=batch_id)
        return Response(ForecastBatchSerializer(batch).data)
