from django.contrib import admin

from hitl.models import HitlDecision, HitlGate


@admin.register(HitlGate)
class HitlGateAdmin(admin.ModelAdmin):
    """All tenants' gates, read through the audited platform path (PlatformAdminSite)."""

    list_display = ("capability", "status", "tenant", "reviewer_group", "sla_due_at", "opened_at", "decided_at")
    list_filter = ("status", "capability")
    readonly_fields = [field.name for field in HitlGate._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(HitlDecision)
class HitlDecisionAdmin(admin.ModelAdmin):
    list_display = ("gate", "decision", "reviewer", "decided_at")
    readonly_fields = [field.name for field in HitlDecision._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
