"""Platform staff's views in the admin: the inference browser (InferenceRecord) and the cost and
usage dashboard (the "usage and cost" entry, over ai_calls_fact). Both read across tenants through
the audited platform path, as every admin page does (PlatformAdminSite.admin_view)."""

from __future__ import annotations

import json
import uuid

from django.conf import settings
from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from capabilities.models import InferenceRecord, UsageFact
from capabilities.reporting.dashboard import dashboard, dashboard_window
from capabilities.reporting.selectors import TenantFilter
from hitl.models import HitlDecision, HitlGate
from melmastoon_ai.admin_site import ReadOnlyAdmin
from melmastoon_ai.tenancy.models import Tenant


def attempts_timeline(provenance: dict):
    """The chain as it was walked: one line per attempt (model, outcome, time, error)."""
    attempts = provenance.get("attempts") or []
    if not attempts:
        return format_html('<p class="muted">{}</p>', "no model was called (a cache hit)")
    items = format_html_join(
        "",
        '<li class="{}"><strong>{}</strong> {} · {} · {}</li>',
        (
            (
                "ok" if attempt.get("outcome") == "ok" else "failed",
                attempt.get("model", "?"),
                attempt.get("provider", ""),
                attempt.get("outcome", ""),
                f"{attempt.get('latency_ms', '?')} ms" + (f" · {attempt['detail']}" if attempt.get("detail") else ""),
            )
            for attempt in attempts
        ),
    )
    return format_html('<ol class="timeline">{}</ol>', items)


def pretty_json(value):
    return format_html('<pre class="scroll wrap">{}</pre>', json.dumps(value, ensure_ascii=False, indent=2))


@admin.register(InferenceRecord)
class InferenceRecordAdmin(ReadOnlyAdmin):
    """The inference browser: every call, filterable as GET /api/v1/ai/inferences is; a record shows
    its provenance, the attempts, the redacted input, the output, its gate and decision, its cost."""

    class Media:
        css = {"all": ["melmastoon/admin.css", "melmastoon/charts.css"]}

    list_display = (
        "created_at",
        "tenant",
        "capability",
        "feature",
        "provider",
        "model",
        "degraded",
        "cache_hit",
        "tokens",
        "cost_usd",
        "latency_ms",
        "gate_status",
    )
    list_filter = ("capability", "provider", "model", "degraded", "cache_hit", "tenant")
    date_hierarchy = "created_at"
    search_fields = ("=id", "=request_id", "=idempotency_key")
    list_select_related = ("tenant",)
    list_per_page = 50
    show_full_result_count = False  # a count(*) over millions of records on every page is not worth it
    fieldsets = [
        (
            None,
            {
                "fields": (
                    "id",
                    "tenant",
                    "created_at",
                    "request_id",
                    "capability",
                    "capability_version",
                    "feature",
                    "prompt",
                    "subject_ref",
                )
            },
        ),
        (
            "Outcome and cost",
            {
                "fields": (
                    "provider",
                    "model",
                    "degraded",
                    "cache_hit",
                    "tokens",
                    "cost_usd",
                    "latency_ms",
                    "overhead_ms",
                    "gate_and_decision",
                )
            },
        ),
        ("Attempts", {"fields": ("attempts",)}),
        (
            "Input (contact details, IDs and guest names replaced by placeholders) and output",
            {"fields": ("input_view", "output_view")},
        ),
        ("Provenance", {"fields": ("provenance_view",), "classes": ["collapse"]}),
    ]
    # a record is never edited here: every field the fieldsets show is read-only
    readonly_fields = tuple(str(name) for _title, options in fieldsets for name in options["fields"])

    def lookup_allowed(self, lookup, value, request=None):
        # the links from a budget (tenant and feature) and from the dashboard land here filtered
        return lookup in ("feature", "tenant__id__exact") or super().lookup_allowed(lookup, value, request)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("gate")

    @admin.display(description="tokens in/out")
    def tokens(self, obj):
        return f"{obj.input_tokens}/{obj.output_tokens}"

    @admin.display(description="gate")
    def gate_status(self, obj):
        gate = getattr(obj, "gate", None)
        return gate.status if gate else "-"

    @admin.display(description="prompt")
    def prompt(self, obj):
        return f"{obj.prompt_key} {obj.prompt_version}" if obj.prompt_key else "-"

    @admin.display(description="subject ref")
    def subject_ref(self, obj):
        return (obj.context or {}).get("subject_ref") or "-"

    @admin.display(description="HITL gate and decision")
    def gate_and_decision(self, obj):
        gate = HitlGate.objects.filter(tenant_id=obj.tenant_id, inference_id=obj.id).first()
        if gate is None:
            return "no gate"
        decision = HitlDecision.objects.filter(tenant_id=obj.tenant_id, gate=gate).first()
        link = reverse("admin:hitl_hitlgate_change", args=[gate.id])
        told = (
            f" · {decision.decision} by {decision.reviewer} at {decision.decided_at:%Y-%m-%d %H:%M}" if decision else ""
        )
        return format_html('<a href="{}">{}</a> ({}){}', link, gate.status, gate.reason, told)

    @admin.display(description="attempts timeline")
    def attempts(self, obj):
        return attempts_timeline(obj.provenance or {})

    @admin.display(description="input (redacted)")
    def input_view(self, obj):
        return pretty_json(obj.input_redacted)

    @admin.display(description="output")
    def output_view(self, obj):
        return pretty_json(obj.output)

    @admin.display(description="provenance")
    def provenance_view(self, obj):
        return pretty_json(obj.provenance)


def _dashboard_tenants(request) -> tuple[TenantFilter, Tenant | None]:
    chosen = None
    try:
        chosen = Tenant.objects.filter(pk=uuid.UUID(request.GET.get("tenant", ""))).first()
    except ValueError:
        pass
    if chosen is not None:
        return TenantFilter(tenant_ids=(chosen.id,)), chosen
    include_eval = request.GET.get("include_eval") == "1"
    return TenantFilter(tenant_ids=None, excluded=() if include_eval else (uuid.UUID(settings.EVAL_TENANT_ID),)), None


@admin.register(UsageFact)
class UsageDashboardAdmin(ReadOnlyAdmin):
    """ "Usage and cost": the dashboard instead of a list of fact rows (millions, one per call)."""

    def changelist_view(self, request, extra_context=None):
        day_from, day_to = dashboard_window(request.GET)
        tenants, chosen = _dashboard_tenants(request)
        inferences = reverse("admin:capabilities_inferencerecord_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Usage and cost",
            "board": dashboard(tenants=tenants, day_from=day_from, day_to=day_to),
            "day_from": day_from,
            "day_to": day_to,
            "chosen": chosen,
            "tenants": Tenant.objects.order_by("name"),
            "include_eval": request.GET.get("include_eval") == "1",
            "inferences_url": inferences + (f"?tenant__id__exact={chosen.id}" if chosen else ""),
        }
        return TemplateResponse(request, "admin/capabilities/usage_dashboard.html", context)
