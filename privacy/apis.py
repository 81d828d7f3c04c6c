"""Erasure of a data subject (scope ai:admin, the caller's tenant): ask for one, follow it
(docs/api.md, "Data protection").

The response never carries an identifier: the kinds asked, the status, the deadline and, per
store, how many rows (or cache entries) were found and erased.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from melmastoon_ai.api import TenantAPIView
from melmastoon_ai.errors import NotFound
from melmastoon_ai.fields import StrictCharField
from privacy.models import ErasureRequest
from privacy.selectors import erasure_get, erasures_recent
from privacy.services import erasure_request_create

FIELDS = {
    "subject_refs": ErasureRequest.Kind.SUBJECT_REF,
    "emails": ErasureRequest.Kind.EMAIL,
    "phones": ErasureRequest.Kind.PHONE,
    "names": ErasureRequest.Kind.NAME,
}
MAX_IDENTIFIERS = 20


class ErasureStoreSerializer(serializers.Serializer):
    found = serializers.IntegerField()
    erased = serializers.IntegerField()


class ErasureSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    identifier_kinds = serializers.ListField(child=serializers.CharField())
    requested_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()
    attempts = serializers.IntegerField()
    stores = serializers.DictField(child=ErasureStoreSerializer())


def erasure_representation(erasure: ErasureRequest) -> dict:
    overdue = erasure.status != ErasureRequest.Status.COMPLETED and erasure.due_at < timezone.now()
    return {
        "id": erasure.id,
        "status": erasure.status,
        "identifier_kinds": erasure.identifier_kinds,
        "requested_at": erasure.requested_at,
        "due_at": erasure.due_at,
        "started_at": erasure.started_at,
        "completed_at": erasure.completed_at,
        "overdue": overdue,
        "attempts": erasure.attempts,
        "stores": erasure.counts,
    }


def _identifiers(max_length: int) -> serializers.ListField:
    return serializers.ListField(
        child=StrictCharField(max_length=max_length), required=False, default=list, max_length=MAX_IDENTIFIERS
    )


class ErasureCreateInputSerializer(serializers.Serializer):
    subject_refs = _identifiers(200)
    emails = _identifiers(320)
    phones = _identifiers(64)
    names = _identifiers(200)
    reason = StrictCharField(max_length=200, required=False, allow_blank=True, default="")


class ErasureListApi(TenantAPIView):
    required_scope = "ai:admin"

    @extend_schema(
        request=ErasureCreateInputSerializer, responses={202: ErasureSerializer}, operation_id="privacy_erasures_create"
    )
    def post(self, request):
        data = ErasureCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        identifiers = [(kind, value) for field, kind in FIELDS.items() for value in data.validated_data[field]]
        erasure = erasure_request_create(
            tenant=self.principal.tenant,
            identifiers=identifiers,
            reason=data.validated_data["reason"],
            requested_by=f"{self.principal.kind}:{self.principal.credential_id}",
        )
        return Response(ErasureSerializer(erasure_representation(erasure)).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=ErasureSerializer(many=True), operation_id="privacy_erasures_list")
    def get(self, request):
        rows = erasures_recent(tenant_id=self.principal.tenant_id)
        return Response(ErasureSerializer([erasure_representation(row) for row in rows], many=True).data)


class ErasureDetailApi(TenantAPIView):
    required_scope = "ai:admin"

    @extend_schema(responses=ErasureSerializer, operation_id="privacy_erasures_retrieve")
    def get(self, request, erasure_id: str):
        erasure = erasure_get(tenant_id=self.principal.tenant_id, erasure_id=erasure_id)
        if erasure is None:
            raise NotFound(f"no erasure {erasure_id}")
        return Response(ErasureSerializer(erasure_representation(erasure)).data)
