"""A hotel's own console (/console/): its cost and usage dashboard and its inference browser.

For the hotel's admins: reviewer accounts (hitl.views.reviewer_page: logged in, bound to one
hotel, that hotel active for the transaction, so row-level security scopes every read) in the
hotel's `tenant-owners` or `managers` group. Platform staff use the admin's versions of these.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import wraps
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from capabilities.models import InferenceRecord
from capabilities.reporting.admin import attempts_timeline
from capabilities.reporting.dashboard import dashboard, dashboard_window
from capabilities.reporting.selectors import InferenceFilters, TenantFilter, inference_page
from hitl.models import HitlDecision, HitlGate
from hitl.permissions import tenant_group_name
from hitl.views import reviewer_page
from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.pagination import decode_cursor, encode_cursor

CONSOLE_GROUPS = ("tenant-owners", "managers")
PAGE_SIZE = 25


def hotel_admin_page(view):
    """A reviewer page (hitl.views.reviewer_page) for the hotel's owners and managers only."""

    @reviewer_page
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        tenant_id = request.reviewer_tenant.id
        names = [tenant_group_name(tenant_id=tenant_id, group=group) for group in CONSOLE_GROUPS]
        if not request.user.groups.filter(name__in=names).exists():
            return render(request, "hitl/forbidden.html", {"tenant": request.reviewer_tenant}, status=403)
        request.tenant_filter = TenantFilter(tenant_ids=(tenant_id,))
        return view(request, *args, **kwargs)

    return wrapped


@require_http_methods(["GET"])
@hotel_admin_page
def usage(request):
    day_from, day_to = dashboard_window(request.GET)
    return render(
        request,
        "reporting/console_usage.html",
        {
            "board": dashboard(tenants=request.tenant_filter, day_from=day_from, day_to=day_to),
            "day_from": day_from,
            "day_to": day_to,
            "tenant": request.reviewer_tenant,
            "inferences_url": reverse("console:inferences"),
        },
    )


def _choice(raw: str | None) -> bool | None:
    return {"true": True, "false": False}.get(raw or "")


def _moment(raw: str, *, end: bool) -> dt.datetime | None:
    try:
        return dt.datetime.combine(
            dt.date.fromisoformat(raw) + dt.timedelta(days=1 if end else 0), dt.time(), tzinfo=dt.UTC
        )
    except (ValueError, OverflowError):
        return None


@require_http_methods(["GET"])
@hotel_admin_page
def inferences(request):
    params = request.GET
    filters = InferenceFilters(
        capability=params.get("capability", ""),
        provider=params.get("provider", ""),
        degraded=_choice(params.get("degraded")),
        cache_hit=_choice(params.get("cache_hit")),
        created_from=_moment(params.get("from", ""), end=False),
        created_to=_moment(params.get("to", ""), end=True),
        subject_ref=params.get("subject_ref", "")[:200],
    )
    try:
        after = decode_cursor(params.get("cursor"), ("created_at", "id"))
        items, last = inference_page(tenants=request.tenant_filter, filters=filters, after=after, limit=PAGE_SIZE)
    except (ApplicationError, ValueError, ValidationError):
        items, last = inference_page(tenants=request.tenant_filter, filters=filters, after=None, limit=PAGE_SIZE)
    query = {key: value for key, value in params.items() if key != "cursor" and value}
    next_href = "?" + urlencode(dict(query, cursor=encode_cursor(last))) if last else ""
    return render(
        request,
        "reporting/console_inferences.html",
        {
            "items": items,
            "filters": query,
            "next_href": next_href,
            "tenant": request.reviewer_tenant,
        },
    )


@require_http_methods(["GET"])
@hotel_admin_page
def inference(request, inference_id):
    tenant_id = request.reviewer_tenant.id
    record = InferenceRecord.objects.filter(tenant_id=tenant_id, pk=inference_id).first()
    if record is None:
        return render(request, "hitl/not_found.html", {"tenant": request.reviewer_tenant}, status=404)
    gate = HitlGate.objects.filter(tenant_id=tenant_id, inference_id=record.id).first()
    decision = HitlDecision.objects.filter(tenant_id=tenant_id, gate=gate).first() if gate else None
    return render(
        request,
        "reporting/console_inference.html",
        {
            "record": record,
            "gate": gate,
            "decision": decision,
            "tenant": request.reviewer_tenant,
            "attempts": attempts_timeline(record.provenance or {}),
            "input_json": json.dumps(record.input_redacted, ensure_ascii=False, indent=2),
            "output_json": json.dumps(record.output, ensure_ascii=False, indent=2),
            "provenance_json": json.dumps(record.provenance, ensure_ascii=False, indent=2),
            "subject_ref": (record.context or {}).get("subject_ref") or "",
        },
    )
