"""Reads over gates: the acceptance rate the evals' drift check watches."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Count, Q

from hitl.models import HitlGate
from melmastoon_ai.errors import ApplicationError

DECIDED = (HitlGate.Status.APPROVED, HitlGate.Status.EDITED, HitlGate.Status.REJECTED)


def acceptance_rates(*, tenant_id, since: dt.datetime) -> dict[str, dict]:
    """Per capability: approved / decided (edits and rejections count against), since a moment."""
    gates = HitlGate.objects.filter(tenant_id=tenant_id, decided_at__gte=since, status__in=DECIDED)
    rows = gates.values("capability").annotate(
        decided=Count("id"), approved=Count("id", filter=Q(status=HitlGate.Status.APPROVED))
    )
    return {
        row["capability"]: {
            "decided": row["decided"],
            "approved": row["approved"],
            "acceptance_rate": row["approved"] / row["decided"],
        }
        for row in rows
    }


def gate_for_inference(*, tenant_id, inference_id) -> HitlGate | None:
    """The gate an inference opened, with its decision, if any."""
    return HitlGate.objects.select_related("decision").filter(tenant_id=tenant_id, inference_id=inference_id).first()


def decided_output(gate: HitlGate) -> dict | None:
    """What a reviewer let out: the edited output, the draft as approved, or None (rejected, open)."""
    if gate.status == HitlGate.Status.EDITED:
        return gate.decision.edited_output
    if gate.status == HitlGate.Status.APPROVED:
        return gate.draft_output
    return None


def gate_page(
    *,
    tenant_ids: tuple[uuid.UUID, ...] | None,
    excluded_tenant_ids: tuple[uuid.UUID, ...] = (),
    statuses: tuple[str, ...] | None,
    capability: str,
    after: dict | None,
    limit: int,
) -> tuple[list[HitlGate], dict | None]:
    """One page of gates by SLA due time (ties by id) and the position of its last when more follow.
    `tenant_ids` None: every tenant but `excluded_tenant_ids` (the audited platform path only)."""
    if tenant_ids is not None:
        gates = HitlGate.objects.filter(tenant_id__in=tenant_ids)
    else:
        gates = HitlGate.objects.exclude(tenant_id__in=excluded_tenant_ids)
    gates = gates.select_related("assignee")
    if statuses:
        gates = gates.filter(status__in=statuses)
    if capability:
        gates = gates.filter(capability=capability)
    if after is not None:
        try:
            due, pk = dt.datetime.fromisoformat(after["sla_due_at"]), uuid.UUID(after["id"])
        except ValueError as exc:
            raise ApplicationError("The cursor is not one this list returned.") from exc
        gates = gates.filter(Q(sla_due_at__gt=due) | Q(sla_due_at=due, id__gt=pk))
    rows = list(gates.order_by("sla_due_at", "id")[: limit + 1])
    last = rows[limit - 1] if len(rows) > limit else None
    return rows[:limit], None if last is None else {"sla_due_at": last.sla_due_at.isoformat(), "id": str(last.id)}
