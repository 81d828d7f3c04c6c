from django.contrib import admin

from melmastoon_ai.admin_site import AppendOnlyAdmin
from melmastoon_ai.tenancy.models import ApiKey, PlatformAccessLog, Tenant, TenantMembership
from melmastoon_ai.tenancy.services import tenant_setup


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("name", "id", "region", "data_residency", "status", "monthly_token_limit", "created_at")
    list_filter = ("status", "region", "data_residency")
    search_fields = ("name", "id")

    def save_model(self, request, obj, form, change):
        """A tenant added here is set up like one made by `create_tenant` (its monthly budget)."""
        super().save_model(request, obj, form, change)
        if not change:
            tenant_setup(tenant=obj)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are issued by `create_api_key` or the admin API (the raw key is shown once there)."""

    list_display = ("name", "prefix", "tenant", "scopes", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix")
    readonly_fields = ("tenant", "prefix", "key_hash", "scopes", "created_at", "last_used_at")
    fields = ("tenant", "name", "prefix", "scopes", "expires_at", "revoked_at", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False


@admin.register(PlatformAccessLog)
class PlatformAccessLogAdmin(AppendOnlyAdmin):
    list_display = ("at", "actor", "reason")
    search_fields = ("actor", "reason")


@admin.register(TenantMembership)
class TenantMembershipAdmin(admin.ModelAdmin):
    """Which hotel a reviewer account belongs to (accounts are made by `create_reviewer`)."""

    list_display = ("user", "tenant", "created_at")
    search_fields = ("user__username", "tenant__name")
    autocomplete_fields = ("tenant",)
    raw_id_fields = ("user",)
