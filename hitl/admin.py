from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from hitl.models import HitlDecision, HitlGate
from melmastoon_ai.admin_site import AppendOnlyAdmin


class HitlDecisionInline(admin.StackedInline):
    model = HitlDecision
    fields = readonly_fields = ("id", "decision", "reviewer", "edited_output", "comment", "decided_at")
    extra = max_num = 0
    can_delete = False


@admin.register(HitlGate)
class HitlGateAdmin(admin.ModelAdmin):
    """All tenants' gates, read through the audited platform path (PlatformAdminSite)."""

    inlines = [HitlDecisionInline]

    list_display = ("capability", "status", "tenant", "reviewer_group", "sla_due_at", "opened_at", "decided_at")
    list_filter = ("status", "capability")
    readonly_fields = [*(field.name for field in HitlGate._meta.fields), "inference_link"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="inference record")
    def inference_link(self, obj):
        url = reverse("admin:capabilities_inferencerecord_change", args=[obj.inference_id])
        return format_html('<a href="{}">{}</a>', url, obj.inference_id)


@admin.register(HitlDecision)
class HitlDecisionAdmin(AppendOnlyAdmin):
    list_display = ("gate", "decision", "reviewer", "decided_at")
