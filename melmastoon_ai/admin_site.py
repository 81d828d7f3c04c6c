"""Django admin as the platform admins' console: every page reads across tenants through the
one audited platform path, so row-level security stays forced for everything else."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

from melmastoon_ai.tenancy.context import platform_access

# The admin home's panels (today's calls and spend, open gates, drift alerts): each app that has
# figures to show registers a callable(request) -> {"title", "tiles": [{"what", "figure"}], "link"}
# from its AppConfig.ready(); the kernel imports none of them.
_HOME_PANELS: list = []


def register_home_panel(panel) -> None:
    if panel not in _HOME_PANELS:
        _HOME_PANELS.append(panel)


class PlatformAdminSite(admin.AdminSite):
    site_header = "melmastoon-ai administration"
    site_title = "melmastoon-ai"
    index_title = "Platform administration"
    index_template = "admin/melmastoon_index.html"

    def index(self, request, extra_context=None):
        """The dashboard home: the registered panels above the list of models."""
        return super().index(
            request, {"home_panels": [panel(request) for panel in _HOME_PANELS], **(extra_context or {})}
        )

    @property
    def login_form(self):
        """Throttled like the reviewer login (this login opens every tenant's data), with a second
        factor where required; imported late: this module loads with the app registry, before
        auth's models exist."""
        from melmastoon_ai.admin_login import ThrottledAdminAuthenticationForm, ThrottledOTPAdminAuthenticationForm

        return ThrottledOTPAdminAuthenticationForm if settings.ADMIN_REQUIRE_OTP else ThrottledAdminAuthenticationForm

    @property
    def login_template(self):
        return "otp/admin111/login.html" if settings.ADMIN_REQUIRE_OTP else None

    def has_permission(self, request):
        """Staff, and, where a second factor is required, verified by one in this session."""
        return super().has_permission(request) and (not settings.ADMIN_REQUIRE_OTP or request.user.is_verified())

    def login(self, request, extra_context=None):
        from melmastoon_ai.login_throttle import login_status

        response = super().login(request, extra_context)
        form = getattr(response, "context_data", {}).get("form") if request.method == "POST" else None
        if form is not None and response.status_code == 200:
            response.status_code = login_status(form)
        return response

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def audited(request, *args, **kwargs):
            user = request.user
            if not (user.is_active and user.is_staff):
                return inner(request, *args, **kwargs)
            reason = f"{request.method} {request.path}"[:200]
            with platform_access(actor=f"admin:{user.get_username()}", reason=reason):
                response = inner(request, *args, **kwargs)
                # Template responses render lazily; render while cross-tenant reads are allowed.
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()
                return response

        return audited


class PlatformAdminConfig(AdminConfig):
    default_site = "melmastoon_ai.admin_site.PlatformAdminSite"


class ReadOnlyAdmin(admin.ModelAdmin):
    """No add, change or delete: rows are seen here, written elsewhere."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AppendOnlyAdmin(ReadOnlyAdmin):
    """For logs and ledgers that no one edits: every field read-only, no add, change or delete."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]
