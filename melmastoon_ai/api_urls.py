"""Every public API route under /api/v1/, one include per app."""

from django.urls import include, path

from manifests.urls import admin_urlpatterns as manifest_admin_urls

urlpatterns = [
    path("ai/", include("capabilities.urls")),
    path("ai/rag/", include("rag.urls")),
    path("", include("budgets.urls")),
    path("ai/hitl/", include("hitl.urls")),
    path("ai/privacy/", include("privacy.urls")),
    path("admin/", include("melmastoon_ai.tenancy.urls")),
    path("admin/", include("melmastoon_ai.webhooks.urls")),
    path("admin/", include("prompts.urls")),
    path("admin/", include("capabilities.admin_urls")),
    path("admin/", include("evals.urls")),
    path("ai/", include("manifests.urls")),
    path("admin/", include(manifest_admin_urls)),
]
