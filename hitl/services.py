"""Open, decide, escalate and expire human-review gates; every change emits through the outbox."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from capabilities.errors import InputSchemaViolation
from capabilities.validation import schema_errors
from hitl.models import HitlDecision, HitlGate
from melmastoon_ai.errors import Conflict, NotFound
from melmastoon_ai.outbox.services import outbox_emit

# Minutes a reviewer has, per capability (a guest waits on a message; a price can wait longer).
SLA_MINUTES = {"message.draft": 30, "ocr.id_scan": 15, "pricing.suggest": 120, "anomaly.detect": 60}
DEFAULT_SLA_MINUTES = 24 * 60
ESCALATE_AT_FRACTION = 0.8  # of the SLA elapsed: hand over to the second reviewer group
REVIEWER_GROUPS = {"accept(lead)": "housekeeping-leads", "accept(manager)": "managers",
                   "accept(tenant)": "tenant-owners"}
ESCALATION_GROUP = "duty-managers"
# What an expired gate means for the caller, per capability.
ON_EXPIRY = {"message.draft": "the draft is never sent", "pricing.suggest": "the price stays at BAR",
             "ocr.id_scan": "the fields are entered by hand", "anomaly.detect": "no automatic block"}
DECISION_STATUS = {"approve": HitlGate.Status.APPROVED, "edit": HitlGate.Status.EDITED,
                   "reject": HitlGate.Status.REJECTED}


def gate_summary(gate: HitlGate) -> dict:
    return {"gate_id": str(gate.id), "status": gate.status, "reason": gate.reason,
            "sla_due_at": gate.sla_due_at.isoformat()}


def hitl_gate_open(*, tenant_id, inference, capability_id: str, hitl_rule: str, reason: str,
                   draft_output: dict, now: dt.datetime | None = None) -> HitlGate:
    """In the inference's transaction; the notification goes through the outbox, never blocking."""
    opened = now or timezone.now()
    gate = HitlGate.objects.create(
        tenant_id=tenant_id, inference=inference, capability=capability_id, reason=reason[:300],
        reviewer_group=REVIEWER_GROUPS.get(hitl_rule, "reviewers"), draft_output=draft_output, opened_at=opened,
        sla_due_at=opened + dt.timedelta(minutes=SLA_MINUTES.get(capability_id, DEFAULT_SLA_MINUTES)),
    )
    outbox_emit(topic="hitl.gate_opened", key=str(gate.id), tenant_id=tenant_id,
                payload=gate_summary(gate) | {"capability": capability_id, "inference_id": str(inference.id),
                                              "reviewer_group": gate.reviewer_group})
    return gate


def hitl_gate_decide(*, tenant_id: uuid.UUID, gate_id: uuid.UUID, decision: str, reviewer: str,
                     output_schema: dict, schema_key: tuple, edited_output: dict | None = None,
                     comment: str = "") -> HitlDecision:
    """Decide a pending or escalated gate exactly once: the conditional UPDATE lets one reviewer
    through when two click at once; the other gets 409."""
    gate = HitlGate.objects.filter(tenant_id=tenant_id, pk=gate_id).first()
    if gate is None:
        raise NotFound("No such gate.")
    if decision == "edit":
        errors = schema_errors(output_schema, edited_output, key=schema_key) if edited_output is not None else [
            {"pointer": "/", "message": "edited_output is required to edit"}]
        if errors:
            raise InputSchemaViolation("edited_output does not match the capability's output schema.",
                                       details={"errors": errors})
    now = timezone.now()
    claimed = HitlGate.objects.filter(pk=gate.pk, status__in=HitlGate.OPEN_STATUSES).update(
        status=DECISION_STATUS[decision], decided_at=now)
    if not claimed:
        raise Conflict(f"The gate is already {HitlGate.objects.get(pk=gate.pk).status}.", code="conflict")
    try:
        with transaction.atomic():
            record = HitlDecision.objects.create(tenant_id=tenant_id, gate=gate, reviewer=reviewer[:200],
                                                 decision=decision, edited_output=edited_output,
                                                 comment=comment, decided_at=now)
    except IntegrityError as exc:
        raise Conflict("The gate is already decided.", code="conflict") from exc
    outbox_emit(topic="hitl.decided", key=str(gate.id), tenant_id=tenant_id,
                payload={"gate_id": str(gate.id), "decision_id": str(record.id), "decision": decision,
                         "capability": gate.capability, "inference_id": str(gate.inference_id)})
    return record


def hitl_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Escalate gates near their due time, expire overdue ones (idempotent: conditional updates)."""
    now = now or timezone.now()
    expired = 0
    for gate in HitlGate.objects.filter(status__in=HitlGate.OPEN_STATUSES, sla_due_at__lte=now):
        if HitlGate.objects.filter(pk=gate.pk, status__in=HitlGate.OPEN_STATUSES).update(
                status=HitlGate.Status.EXPIRED, decided_at=now):
            expired += 1
            outbox_emit(topic="hitl.expired", key=str(gate.id), tenant_id=gate.tenant_id,
                        payload={"gate_id": str(gate.id), "capability": gate.capability,
                                 "meaning": ON_EXPIRY.get(gate.capability, "the draft is not used")})
    escalated = 0
    for gate in HitlGate.objects.filter(status=HitlGate.Status.PENDING, sla_due_at__gt=now):
        if now < gate.opened_at + (gate.sla_due_at - gate.opened_at) * ESCALATE_AT_FRACTION:
            continue
        if HitlGate.objects.filter(pk=gate.pk, status=HitlGate.Status.PENDING).update(
                status=HitlGate.Status.ESCALATED, escalated_at=now, reviewer_group=ESCALATION_GROUP):
            escalated += 1
            outbox_emit(topic="hitl.escalated", key=str(gate.id), tenant_id=gate.tenant_id,
                        payload={"gate_id": str(gate.id), "reviewer_group": ESCALATION_GROUP})
    return {"expired": expired, "escalated": escalated}
