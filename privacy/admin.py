"""Erasure requests in the Django admin (the audited cross-tenant path): read them, and run or
resume the selected ones now (the action queues the same Celery task the API does). Tenant
offboarding as an action of the tenant list, for superusers, behind a confirmation page."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse

from melmastoon_ai.tenancy.models import Tenant
from privacy.models import ErasureRequest, RetentionPolicy
from privacy.offboarding import default_export_dir, tenant_offboard, tenant_row_counts
from privacy.services import erasure_enqueue

OFFBOARD_CONFIRMATION = "OFFBOARD"


@admin.action(description="Offboard the selected tenants (export, then delete every row)")
def offboard_tenants(modeladmin, request, queryset):
    """What `manage.py tenant_offboard --confirm` does, for platform staff: a first click shows
    what would be deleted; typing OFFBOARD and submitting does it, tenant by tenant."""
    if not request.user.is_superuser:
        modeladmin.message_user(request, "Only a superuser may offboard a tenant.", messages.ERROR)
        return None
    tenants = list(queryset)
    actor = f"admin:{request.user.get_username()}"
    if request.POST.get("confirmation") != OFFBOARD_CONFIRMATION:
        if "confirmation" in request.POST:
            modeladmin.message_user(request, f"Type {OFFBOARD_CONFIRMATION} to confirm.", messages.WARNING)
        counts = {tenant: tenant_row_counts(tenant_id=tenant.id, actor=actor) for tenant in tenants}
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": "Offboard tenants",
            "tenants": [(tenant, sum(rows.values()), rows) for tenant, rows in counts.items()],
            "queryset": tenants,
            "confirmation": OFFBOARD_CONFIRMATION,
            "export_dir": default_export_dir(),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "opts": modeladmin.model._meta,
        }
        return TemplateResponse(request, "admin/privacy/offboard_confirm.html", context)
    for tenant in tenants:
        report = tenant_offboard(tenant_id=tenant.id, export_dir=default_export_dir(), actor=actor)
        modeladmin.message_user(
            request,
            f"{tenant.name}: {sum(report.rows.values())} rows deleted after export to {report.export_path}, "
            f"{report.accounts} reviewer account(s), {report.redis_keys} Redis key(s).",
            messages.SUCCESS,
        )
    return None


def register_offboarding_action() -> None:
    """The tenant admin is the kernel's; the action is data protection's, added to it here."""
    tenant_admin = admin.site._registry.get(Tenant)
    if tenant_admin is not None and offboard_tenants not in (tenant_admin.actions or ()):
        tenant_admin.actions = [*(tenant_admin.actions or ()), offboard_tenants]


register_offboarding_action()


@admin.register(ErasureRequest)
class ErasureRequestAdmin(admin.ModelAdmin):
    list_display = ("id", "tenant", "identifier_kinds", "status", "requested_at", "due_at", "completed_at", "attempts")
    list_filter = ("status",)
    # the identifiers themselves are never shown: they are blanked on completion and not needed before
    exclude = ("identifiers",)
    readonly_fields = [field.name for field in ErasureRequest._meta.fields if field.name != "identifiers"]
    actions = ["run_now"]

    def has_add_permission(self, request):
        return False  # asked through the API or `manage.py erase_subject`, which check the identifier

    @admin.action(description="Run or resume the selected erasures now")
    def run_now(self, request, queryset):
        open_requests = list(queryset.filter(status__in=ErasureRequest.OPEN_STATUSES).values_list("id", "tenant_id"))
        for erasure_id, tenant_id in open_requests:
            erasure_enqueue(erasure_id=str(erasure_id), tenant_id=str(tenant_id))
        self.message_user(request, f"{len(open_requests)} erasure(s) queued.", messages.SUCCESS)


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "tenant",
        "inference_content_days",
        "idempotency_days",
        "published_event_days",
        "moderation_block_days",
        "updated_at",
    )
