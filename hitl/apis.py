from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from hitl.models import HitlDecision, HitlGate
from hitl.services import gate_summary, hitl_gate_decide
from melmastoon_ai.api import TenantAPIView
from melmastoon_ai.errors import NotFound
from melmastoon_ai.fields import StrictCharField


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
        "capability": gate.capability, "inference_id": str(gate.inference_id), "draft_output": gate.draft_output,
        "reviewer_group": gate.reviewer_group, "assignee": gate.assignee.username if gate.assignee else None,
        "decision": None if decision is None else {
            "decision_id": str(decision.id), "decision": decision.decision, "edited_output": decision.edited_output,
            "comment": decision.comment, "decided_at": decision.decided_at.isoformat()},
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
        hitl_gate_decide(tenant_id=self.principal.tenant_id, gate_id=gate.id,
                         reviewer=f"{self.principal.kind}:{self.principal.credential_id}", **data.validated_data)
        gate.refresh_from_db()
        return Response(_gate_body(gate))
