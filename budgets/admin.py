from urllib.parse import urlencode

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from budgets.models import Budget, BudgetLedgerEntry, BudgetPeriod
from melmastoon_ai.admin_site import AppendOnlyAdmin


@admin.register(Budget)
class BudgetAdmin(SimpleHistoryAdmin):
    list_display = (
        "tenant",
        "feature",
        "period",
        "token_limit",
        "cost_limit_usd",
        "soft_cap_pct",
        "hard_cap_pct",
        "enabled",
    )
    list_filter = ("period", "enabled")
    search_fields = ("feature", "tenant__name")
    readonly_fields = ("inferences_link",)

    @admin.display(description="inferences")
    def inferences_link(self, obj):
        """The calls this budget is charged for: the tenant's, or the tenant's of this feature."""
        if obj.pk is None:
            return "-"
        query = {"tenant__id__exact": obj.tenant_id, **({"feature": obj.feature} if obj.feature else {})}
        return format_html(
            '<a href="{}?{}">the inferences charged to it</a>',
            reverse("admin:capabilities_inferencerecord_changelist"),
            urlencode(query),
        )


@admin.register(BudgetPeriod)
class BudgetPeriodAdmin(admin.ModelAdmin):
    list_display = ("budget", "tenant", "starts_at", "ends_at", "soft_cap_notified_at", "hard_cap_notified_at")
    readonly_fields = [field.name for field in BudgetPeriod._meta.fields]


@admin.register(BudgetLedgerEntry)
class BudgetLedgerEntryAdmin(AppendOnlyAdmin):
    list_display = ("period", "inference_id", "tokens", "cost_usd", "created_at")
