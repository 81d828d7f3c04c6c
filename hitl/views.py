"""The reviewer pages (/hitl/): a hotel's reviewers log in, see the gates given to their groups
sorted by SLA, and approve, edit or reject drafts.

Every page runs in the request's transaction with the reviewer's tenant activated, so row-level
security scopes each read to that hotel; django-guardian permissions then narrow it to the
gates granted to the reviewer's groups. A gate the reviewer may not see is a 404, the same as
one that does not exist: the pages never tell another hotel's gate ids apart.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from guardrails import restore_output
from hitl.editor import attach_schema_errors, output_fields, parse_output, readable, text_direction
from hitl.models import HitlDecision, HitlGate
from hitl.permissions import DECIDE, gates_for_reviewer
from hitl.services import hitl_gate_assign, hitl_gate_decide, with_names_pseudonymised
from melmastoon_ai.errors import ApplicationError, Conflict, SchemaViolation
from melmastoon_ai.login_throttle import ThrottledLoginFormMixin, login_status
from melmastoon_ai.tenancy.context import activate_tenant
from melmastoon_ai.tenancy.models import TenantMembership
from melmastoon_ai.tenancy.selectors import membership_for_user

PAGE_SIZE = 25
STATUS_FILTERS = {
    "open": HitlGate.OPEN_STATUSES,
    "all": None,
    **{status.value: (status.value,) for status in HitlGate.Status},
}


class ReviewerLoginForm(ThrottledLoginFormMixin, AuthenticationForm):
    """Only accounts bound to a hotel log in here; platform staff use the admin. Attempts are
    throttled per username and per address (melmastoon_ai/login_throttle.py), as the admin's are."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if membership_for_user(user_id=user.pk) is None:
            raise forms.ValidationError("This account is not a reviewer account of a hotel.", code="no_membership")


class ReviewerLoginView(auth_views.LoginView):
    template_name = "hitl/login.html"
    authentication_form = ReviewerLoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = login_status(form)
        return response

    def get_default_redirect_url(self):
        return reverse("hitl:queue")


def _not_found(request):
    return render(request, "hitl/not_found.html", status=404)


def reviewer_page(view):
    """Logged in, bound to a hotel, that hotel active for the transaction."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url=reverse("hitl:login"))
        membership = membership_for_user(user_id=request.user.pk)
        if membership is None:
            return render(request, "hitl/forbidden.html", status=403)
        activate_tenant(membership.tenant_id)
        request.reviewer_tenant = membership.tenant
        return view(request, *args, **kwargs)

    return wrapped


def time_left(due: dt.datetime, now: dt.datetime) -> tuple[str, str]:
    """("in 1 h 05 min" or "overdue by 3 min", urgency class) for the queue."""
    seconds = int((due - now).total_seconds())
    minutes = abs(seconds) // 60
    text = f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
    if seconds < 0:
        return f"overdue by {text}", "overdue"
    return f"{text} left", "soon" if seconds < 15 * 60 else "ok"


@require_http_methods(["GET"])
@reviewer_page
def queue(request):
    tenant_id = request.reviewer_tenant.id
    visible = gates_for_reviewer(request.user, tenant_id=tenant_id)
    status = request.GET.get("status", "open")
    capability = request.GET.get("capability", "")
    gates = visible
    if STATUS_FILTERS.get(status):
        gates = gates.filter(status__in=STATUS_FILTERS[status])
    elif status not in STATUS_FILTERS:
        status = "open"
        gates = gates.filter(status__in=HitlGate.OPEN_STATUSES)
    if capability:
        gates = gates.filter(capability=capability)
    mine = request.GET.get("mine") == "1"
    if mine:
        gates = gates.filter(assignee=request.user)
    ordered = gates.select_related("assignee").order_by("sla_due_at", "opened_at")
    page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = []
    for gate in page:
        left, urgency = time_left(gate.sla_due_at, now)
        rows.append(
            {
                "gate": gate,
                "time_left": left if gate.status in HitlGate.OPEN_STATUSES else "",
                "urgency": urgency if gate.status in HitlGate.OPEN_STATUSES else "done",
            }
        )
    capabilities = sorted(set(visible.values_list("capability", flat=True).distinct()))
    return render(
        request,
        "hitl/queue.html",
        {
            "rows": rows,
            "page": page,
            "status": status,
            "capability": capability,
            "capabilities": capabilities,
            "statuses": list(STATUS_FILTERS),
            "tenant": request.reviewer_tenant,
            "mine": mine,
        },
    )


def _gate_context(request, gate: HitlGate, decidable: bool, fields=None, problems=()) -> dict:
    inference = gate.inference  # the record the draft belongs to (its redacted input, its provenance)
    schema = gate.output_schema
    input_redacted = inference.input_redacted if inference else {}
    names = gate.guest_names if gate.status in HitlGate.OPEN_STATUSES else {}
    direction, lang = text_direction(gate.draft_output, input_redacted if isinstance(input_redacted, dict) else {})
    may_decide = decidable and gate.status in HitlGate.OPEN_STATUSES
    left, urgency = time_left(gate.sla_due_at, timezone.now())
    decision = HitlDecision.objects.filter(tenant_id=gate.tenant_id, gate=gate).first()
    return {
        "gate": gate,
        "inference": inference,
        "tenant": request.reviewer_tenant,
        "decision": decision,
        "edited": readable(decision.edited_output) if decision and decision.edited_output else [],
        "input_json": json.dumps(restore_output(input_redacted, names), ensure_ascii=False, indent=2),
        "draft": readable(restore_output(gate.draft_output, names)),
        "provenance": inference.provenance if inference else {},
        "fields": fields if fields is not None else output_fields(schema, restore_output(gate.draft_output, names)),
        "members": list(
            TenantMembership.objects.filter(tenant_id=gate.tenant_id).values_list("user__username", flat=True)
        )
        if may_decide
        else [],
        "problems": problems,
        "may_decide": may_decide,
        "dir": direction,
        "lang": lang,
        "time_left": left,
        "urgency": urgency,
    }


def _render_gate(request, gate: HitlGate, decidable: bool, *, status: int = 200, **context):
    return render(request, "hitl/gate.html", _gate_context(request, gate, decidable, **context), status=status)


@require_http_methods(["GET", "POST"])
@reviewer_page
def gate_page(request, gate_id):
    gate = gates_for_reviewer(request.user, tenant_id=request.reviewer_tenant.id).filter(pk=gate_id).first()
    if gate is None:
        return _not_found(request)
    # Asked once per request: may this reviewer decide (and assign) this gate, not only see it?
    decidable = gates_for_reviewer(request.user, tenant_id=gate.tenant_id, perm=DECIDE).filter(pk=gate.pk).exists()
    if request.method == "POST":
        return _assign(request, gate, decidable) if "assignee" in request.POST else _decide(request, gate, decidable)
    return _render_gate(request, gate, decidable)


def _assign(request, gate: HitlGate, decidable: bool):
    try:
        with transaction.atomic():
            hitl_gate_assign(
                tenant_id=gate.tenant_id,
                gate_id=gate.id,
                by=request.user,
                assignee_username=request.POST["assignee"] or request.user.username,
            )
    except ApplicationError as exc:
        gate.refresh_from_db()
        status = 403 if exc.status == 404 else exc.status  # seen but not decidable by this reviewer
        return _render_gate(request, gate, decidable, problems=[exc.message], status=status)
    messages.success(request, "Gate assigned.")
    return redirect("hitl:gate", gate_id=gate.id)


def _decide(request, gate: HitlGate, decidable: bool):
    if not decidable:
        return render(request, "hitl/forbidden.html", status=403)
    decision = request.POST.get("decision", "")
    comment = request.POST.get("comment", "").strip()[:2000]
    schema = gate.output_schema
    edited, fields = None, None
    if decision not in HitlDecision.Decision.values:
        return _render_gate(request, gate, decidable, problems=["Choose a decision."], status=400)
    if decision == HitlDecision.Decision.EDIT:
        edited, fields = parse_output(schema, request.POST)
        if any(item.error for item in fields):
            return _render_gate(
                request,
                gate,
                decidable,
                fields=fields,
                status=422,
                problems=["Some fields could not be read; nothing was saved."],
            )
        edited = with_names_pseudonymised(edited, gate.guest_names)
        if edited == gate.draft_output:
            decision, edited = HitlDecision.Decision.APPROVE, None  # nothing changed: an approval
    try:
        with transaction.atomic():  # a refusal rolls back to here, leaving no half-decided gate
            record = hitl_gate_decide(
                tenant_id=gate.tenant_id,
                gate_id=gate.id,
                decision=decision,
                reviewer=f"user:{request.user.username}",
                edited_output=edited,
                comment=comment,
            )
    except SchemaViolation as exc:
        fields = fields or output_fields(schema, edited or {})
        unplaced = attach_schema_errors(fields, exc.details.get("errors", []))
        return _render_gate(
            request,
            gate,
            decidable,
            fields=fields,
            status=422,
            problems=["The edited output does not match the capability's schema; nothing was saved.", *unplaced],
        )
    except Conflict as exc:
        gate.refresh_from_db()
        return _render_gate(request, gate, decidable, problems=[exc.message], status=409)
    messages.success(request, f"Decision saved ({record.decision}); decision id {record.id}.")
    return redirect("hitl:gate", gate_id=gate.id)
