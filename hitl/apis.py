from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from hitl.models import HitlDecision, HitlGate
from hitl.selectors import gate_page
from hitl.services import gate_summary, hitl_gate_decide
from melmastoon_ai.api import TenantAPIView
from melmastoon_ai.errors import ApplicationError, NotFound
from melmastoon_ai.fields import StrictCharField
from melmastoon_ai.pagination import PAGE_PARAMETERS, decode_cursor, encode_cursor, next_url, page_limit
from melmastoon_ai.tenancy.report_scope import report_scope


class GateSerializer(serializers.Serializer):
    gate_id = serializers.UUIDField()
    status = serializers.CharField()
    reason = serializers.CharField()
    sla_due_at = serializers.DateTimeField()
    capability = serializers.CharField()
    inference_id = serializers.UUIDField()
    draft_output = serializers.DictField()
    reviewer_group = serializers.CharField()
    assignee = serializers.CharField(allow_null=True, help_text="username of the reviewer who took the gate")
    decision = serializers.DictField(allow_null=True)


def _gate_body(gate: HitlGate) -> dict:
    decision = HitlDecision.objects.filter(tenant_id=gate.tenant_id, gate=gate).first()
    return gate_summary(gate) | {
        "capability": gate.capability,
        "inference_id": str(gate.inference_id),
        "draft_output": gate.draft_output,
        "reviewer_group": gate.reviewer_group,
        "assignee": gate.assignee.username if gate.assignee else None,
        "decision": None
        if decision is None
        else {
            "decision_id": str(decision.id),
            "decision": decision.decision,
            "edited_output": decision.edited_output,
            "comment": decision.comment,
            "decided_at": decision.decided_at.isoformat(),
        },
    }


def _gate(principal, gate_id) -> HitlGate:
    gate = HitlGate.objects.filter(tenant_id=principal.tenant_id, pk=gate_id).select_related("assignee").first()
    if gate is None:
        raise NotFound("No such gate.")
    return gate


class GateDetailApi(TenantAPIView):
    required_scope = ("ai:invoke", "ai:review")

    @extend_schema(responses=GateSerializer, operation_id="hitl_gate_retrieve")
    def get(self, request, gate_id):
        return Response(_gate_body(_gate(self.principal, gate_id)))


GATE_STATUS_FILTERS = {"open": HitlGate.OPEN_STATUSES, **{status.value: (status.value,) for status in HitlGate.Status}}


def _gate_summary(gate: HitlGate, request) -> dict:
    return gate_summary(gate) | {
        "tenant_id": str(gate.tenant_id),
        "capability": gate.capability,
        "inference_id": str(gate.inference_id),
        "reviewer_group": gate.reviewer_group,
        "assignee": gate.assignee.username if gate.assignee else None,
        "opened_at": gate.opened_at.isoformat(),
        "decided_at": gate.decided_at.isoformat() if gate.decided_at else None,
        "url": request.build_absolute_uri(reverse("hitl-gate", args=[gate.id])),
    }


class GateListApi(TenantAPIView):
    """The tenant's gates, soonest SLA first: a reviewer service lists its queue in one call."""

    required_scope = ("ai:invoke", "ai:review")

    @extend_schema(
        operation_id="hitl_gates_list",
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='`{"results": [gate summary...], "next": url or null}`, by SLA due time',
            )
        },
        parameters=[
            OpenApiParameter(
                "status",
                str,
                description="open (pending or escalated), or one status: " + ", ".join(HitlGate.Status.values),
            ),
            OpenApiParameter("capability", str),
            *PAGE_PARAMETERS,
            OpenApiParameter("tenant", str, description="platform operator only: a tenant id or `all` (audited)"),
        ],
    )
    def get(self, request):
        status = request.query_params.get("status", "")
        if status and status not in GATE_STATUS_FILTERS:
            raise ApplicationError(
                f"status is open or one of {', '.join(HitlGate.Status.values)}.", details={"status": status[:64]}
            )
        limit = page_limit(request.query_params.get("limit"))
        after = decode_cursor(request.query_params.get("cursor"), ("sla_due_at", "id"))
        scope = report_scope(request, self.principal)
        with scope.reading():
            gates, last = gate_page(
                tenant_ids=scope.tenant_ids,
                excluded_tenant_ids=scope.excluded_tenant_ids,
                statuses=GATE_STATUS_FILTERS.get(status),
                capability=request.query_params.get("capability", ""),
                after=after,
                limit=limit,
            )
            results = [_gate_summary(gate, request) for gate in gates]
        return Response({"results": results, "next": next_url(request, encode_cursor(last) if last else None)})


class DecisionInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=HitlDecision.Decision.choices)
    edited_output = serializers.DictField(required=False, allow_null=True, default=None)
    comment = StrictCharField(required=False, allow_blank=True, default="", max_length=2000)


class GateDecisionApi(TenantAPIView):
    required_scope = "ai:review"

    @extend_schema(request=DecisionInputSerializer, responses=GateSerializer, operation_id="hitl_gate_decide")
    def post(self, request, gate_id):
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        gate = _gate(self.principal, gate_id)
        hitl_gate_decide(
            tenant_id=self.principal.tenant_id,
            gate_id=gate.id,
            reviewer=f"{self.principal.kind}:{self.principal.credential_id}",
            **data.validated_data,
        )
        gate.refresh_from_db()
        return Response(_gate_body(gate))
