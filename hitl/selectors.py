"""Reads over gates: the acceptance rate the evals' drift check watches."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q

from hitl.models import HitlGate

DECIDED = (HitlGate.Status.APPROVED, HitlGate.Status.EDITED, HitlGate.Status.REJECTED)


def acceptance_rates(*, tenant_id, since: dt.datetime) -> dict[str, dict]:
    """Per capability: approved / decided (edits and rejections count against), since a moment."""
    gates = HitlGate.objects.filter(tenant_id=tenant_id, decided_at__gte=since, status__in=DECIDED)
    rows = gates.values("capability").annotate(
        decided=Count("id"), approved=Count("id", filter=Q(status=HitlGate.Status.APPROVED)))
    return {row["capability"]: {"decided": row["decided"], "approved": row["approved"],
                                "acceptance_rate": row["approved"] / row["decided"]} for row in rows}


def gate_for_inference(*, tenant_id, inference_id) -> HitlGate | None:
    """The gate an inference opened, with its decision, if any."""
    return (HitlGate.objects.select_related("decision").filter(tenant_id=tenant_id, inference_id=inference_id)
            .first())


def decided_output(gate: HitlGate) -> dict | None:
    """What a reviewer let out: the edited output, the draft as approved, or None (rejected, open)."""
    if gate.status == HitlGate.Status.EDITED:
        return gate.decision.edited_output
    if gate.status == HitlGate.Status.APPROVED:
        return gate.draft_output
    return None
