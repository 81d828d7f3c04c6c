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
