"""Open, decide, escalate and expire human-review gates; every change emits through the outbox."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from guardrails.payloads import map_strings
from hitl.models import HitlDecision, HitlGate
from hitl.permissions import DECIDE, gate_grant, gate_grant_user, gates_for_reviewer, tenant_group
from melmastoon_ai.errors import ApplicationError, Conflict, NotFound, SchemaViolation
from melmastoon_ai.outbox.services import outbox_emit
from melmastoon_ai.schema_validation import schema_errors
from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.tenancy.models import Tenant, TenantMembership

# Minutes a reviewer has, per capability (a guest waits on a message; a price can wait longer).
SLA_MINUTES = {"message.draft": 30, "ocr.id_scan": 15, "pricing.suggest": 120, "anomaly.detect": 60}
DEFAULT_SLA_MINUTES = 24 * 60
ESCALATE_AT_FRACTION = 0.8  # of the SLA elapsed: hand over to the second reviewer group
REVIEWER_GROUPS = {
    "accept(lead)": "housekeeping-leads",
    "accept(manager)": "managers",
    "accept(tenant)": "tenant-owners",
}
ESCALATION_GROUP = "duty-managers"
# An answer held because input moderation put a threat or self-harm in its review band: someone
# on duty reads it soon, whatever the capability (pipeline.open_gate_if_required).
MODERATION_REVIEW_GROUP = ESCALATION_GROUP
MODERATION_REVIEW_SLA_MINUTES = 15
# What an expired gate means for the caller, per capability.
ON_EXPIRY = {
    "message.draft": "the draft is never sent",
    "pricing.suggest": "the price stays at BAR",
    "ocr.id_scan": "the fields are entered by hand",
    "anomaly.detect": "no automatic block",
}
DECISION_STATUS = {
    "approve": HitlGate.Status.APPROVED,
    "edit": HitlGate.Status.EDITED,
    "reject": HitlGate.Status.REJECTED,
}


def gate_summary(gate: HitlGate) -> dict:
    """The `hitl` of a response; a decided gate also says how it was decided, by whom and when."""
    summary = {
        "gate_id": str(gate.id),
        "status": gate.status,
        "reason": gate.reason,
        "sla_due_at": gate.sla_due_at.isoformat(),
    }
    decision = getattr(gate, "decision", None) if gate.status not in HitlGate.OPEN_STATUSES else None
    if decision is not None:
        summary["decision"] = {
            "decision_id": str(decision.id),
            "decision": decision.decision,
            "decided_at": decision.decided_at.isoformat(),
        }
    return summary


def _closed(gate: HitlGate) -> Conflict:
    """409 for a gate a conditional update found no longer open: says what it became."""
    status = HitlGate.objects.get(tenant_id=gate.tenant_id, pk=gate.pk).status
    return Conflict(f"The gate is already {status}.", code="conflict")


def edit_errors(gate: HitlGate, edited_output: dict | None) -> list[dict]:
    """What is wrong with a reviewer's edit: validated against the output schema the gate was opened
    with (the capability version that made the draft)."""
    if edited_output is None:
        return [{"pointer": "/", "message": "edited_output is required to edit"}]
    return schema_errors(gate.output_schema, edited_output, key=(gate.capability, gate.capability_version, "output"))


def hitl_gate_open(
    *,
    tenant_id,
    inference,
    capability_id: str,
    capability_version: str,
    output_schema: dict,
    hitl_rule: str,
    reason: str,
    draft_output: dict,
    now: dt.datetime | None = None,
    guest_names: dict[str, str] | None = None,
    reviewer_group: str | None = None,
    sla_minutes: int | None = None,
) -> HitlGate:
    """In the inference's transaction; the notification goes through the outbox, never blocking.
    `guest_names`: the request's `<NAME_n>` placeholders and names, for the reviewer page only.
    `reviewer_group` and `sla_minutes` override what the capability's rule and id give."""
    opened = now or timezone.now()
    minutes = sla_minutes if sla_minutes is not None else SLA_MINUTES.get(capability_id, DEFAULT_SLA_MINUTES)
    gate = HitlGate.objects.create(
        tenant_id=tenant_id,
        inference=inference,
        capability=capability_id,
        capability_version=capability_version,
        output_schema=output_schema,
        reason=reason[:300],
        reviewer_group=reviewer_group or REVIEWER_GROUPS.get(hitl_rule, "reviewers"),
        draft_output=draft_output,
        opened_at=opened,
        guest_names=guest_names or {},
        sla_due_at=opened + dt.timedelta(minutes=minutes),
    )
    gate_grant(gate=gate, group=gate.reviewer_group)
    outbox_emit(
        topic="hitl.gate_opened",
        key=str(gate.id),
        tenant_id=tenant_id,
        payload=gate_summary(gate)
        | {"capability": capability_id, "inference_id": str(inference.id), "reviewer_group": gate.reviewer_group},
    )
    return gate


def with_names_pseudonymised(output, guest_names: dict[str, str]):
    """A reviewer's edit with the guest's names put back as their placeholders: the page shows the
    names, the decision stores (and emits) the placeholders, as the record does."""
    if not guest_names or output is None:
        return output
    names = sorted(guest_names.items(), key=lambda item: -len(item[1]))

    def swap(text: str) -> str:
        for placeholder, name in names:
            text = text.replace(name, placeholder)
        return text

    return map_strings(output, swap)


def hitl_gate_decide(
    *,
    tenant_id: uuid.UUID,
    gate_id: uuid.UUID,
    decision: str,
    reviewer: str,
    edited_output: dict | None = None,
    comment: str = "",
) -> HitlDecision:
    """Decide a pending or escalated gate exactly once: the conditional UPDATE lets one reviewer
    through when two click at once; the other gets 409. An edit must match the output schema of
    the gate's capability."""
    gate = HitlGate.objects.filter(tenant_id=tenant_id, pk=gate_id).first()
    if gate is None:
        raise NotFound("No such gate.")
    edited_output = with_names_pseudonymised(edited_output, gate.guest_names)
    if decision == "edit":
        errors = edit_errors(gate, edited_output)
        if errors:
            raise SchemaViolation(
                "edited_output does not match the capability's output schema.", details={"errors": errors}
            )
    now = timezone.now()
    claimed = HitlGate.objects.filter(tenant_id=gate.tenant_id, pk=gate.pk, status__in=HitlGate.OPEN_STATUSES).update(
        status=DECISION_STATUS[decision], decided_at=now, guest_names={}
    )
    if not claimed:
        raise _closed(gate)
    try:
        with transaction.atomic():
            record = HitlDecision.objects.create(
                tenant_id=tenant_id,
                gate=gate,
                reviewer=reviewer[:200],
                decision=decision,
                edited_output=edited_output,
                comment=comment,
                decided_at=now,
            )
    except IntegrityError as exc:
        raise Conflict("The gate is already decided.", code="conflict") from exc
    outbox_emit(
        topic="hitl.decided",
        key=str(gate.id),
        tenant_id=tenant_id,
        payload={
            "gate_id": str(gate.id),
            "decision_id": str(record.id),
            "decision": decision,
            "capability": gate.capability,
            "inference_id": str(gate.inference_id),
        },
    )
    return record


def hitl_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Escalate gates near their due time, expire overdue ones (idempotent: conditional updates)."""
    now = now or timezone.now()
    expired = 0
    for gate in HitlGate.objects.filter(status__in=HitlGate.OPEN_STATUSES, sla_due_at__lte=now):
        if HitlGate.objects.filter(tenant_id=gate.tenant_id, pk=gate.pk, status__in=HitlGate.OPEN_STATUSES).update(
            status=HitlGate.Status.EXPIRED, decided_at=now, guest_names={}
        ):
            expired += 1
            outbox_emit(
                topic="hitl.expired",
                key=str(gate.id),
                tenant_id=gate.tenant_id,
                payload={
                    "gate_id": str(gate.id),
                    "capability": gate.capability,
                    "meaning": ON_EXPIRY.get(gate.capability, "the draft is not used"),
                },
            )
    escalated = 0
    for gate in HitlGate.objects.filter(status=HitlGate.Status.PENDING, sla_due_at__gt=now):
        if now < gate.opened_at + (gate.sla_due_at - gate.opened_at) * ESCALATE_AT_FRACTION:
            continue
        if HitlGate.objects.filter(tenant_id=gate.tenant_id, pk=gate.pk, status=HitlGate.Status.PENDING).update(
            status=HitlGate.Status.ESCALATED, escalated_at=now, reviewer_group=ESCALATION_GROUP
        ):
            escalated += 1
            gate_grant(gate=gate, group=ESCALATION_GROUP)  # the first group keeps its rights too
            outbox_emit(
                topic="hitl.escalated",
                key=str(gate.id),
                tenant_id=gate.tenant_id,
                payload={"gate_id": str(gate.id), "reviewer_group": ESCALATION_GROUP},
            )
    return {"expired": expired, "escalated": escalated}


DEFAULT_REVIEWER_GROUP = "reviewers"
KNOWN_GROUPS = frozenset({DEFAULT_REVIEWER_GROUP, ESCALATION_GROUP, *REVIEWER_GROUPS.values()})


def reviewer_account_create(
    *, tenant_id: uuid.UUID, username: str, password: str, groups: list[str], email: str = ""
) -> User:
    """A tenant's reviewer login for the HITL pages: never staff (the admin is the platform's), bound
    to one tenant, member of that tenant's reviewer groups."""
    unknown = sorted(set(groups) - KNOWN_GROUPS)
    if unknown or not groups:
        raise ApplicationError(
            f"Unknown reviewer groups {unknown}; known: {', '.join(sorted(KNOWN_GROUPS))}."
            if unknown
            else "Name at least one reviewer group.",
            code="invalid_request",
        )
    if not Tenant.objects.filter(pk=tenant_id).exists():
        raise NotFound("No such tenant.")
    try:
        validate_password(password)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), code="invalid_request") from exc
    with tenant_context(tenant_id):
        if User.objects.filter(username=username).exists():
            raise Conflict(f"The username {username!r} is taken.", code="conflict")
        user = User.objects.create_user(username=username, password=password, email=email)
        TenantMembership.objects.create(tenant_id=tenant_id, user=user)
        user.groups.add(*(tenant_group(tenant_id=tenant_id, group=group) for group in groups))
    return user


def hitl_gate_assign(*, tenant_id: uuid.UUID, gate_id: uuid.UUID, by: User, assignee_username: str) -> HitlGate:
    """Hand an open gate to one reviewer of the same hotel (`by` taking it is the usual case).

    Only someone who may decide the gate assigns it; the assignee gets guardian rights on it
    (so a gate can reach a person outside its group) and the queue shows whose it is."""
    gate = gates_for_reviewer(by, tenant_id=tenant_id, perm=DECIDE).filter(pk=gate_id).first()
    if gate is None:
        raise NotFound("No such gate.")
    assignee = User.objects.filter(username=assignee_username, membership__tenant_id=tenant_id, is_active=True).first()
    if assignee is None:
        raise ApplicationError("No reviewer of this hotel has that username.", code="invalid_request")
    if not HitlGate.objects.filter(tenant_id=gate.tenant_id, pk=gate.pk, status__in=HitlGate.OPEN_STATUSES).update(
        assignee=assignee
    ):
        raise _closed(gate)
    gate_grant_user(gate=gate, user=assignee)
    outbox_emit(
        topic="hitl.assigned",
        key=str(gate.id),
        tenant_id=tenant_id,
        payload={"gate_id": str(gate.id), "assignee": assignee.username, "by": by.username},
    )
    gate.assignee = assignee
    return gate
