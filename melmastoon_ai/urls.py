from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from melmastoon_ai.observability import health

handler400 = "melmastoon_ai.errors.handler400"
handler403 = "melmastoon_ai.errors.handler403"
handler404 = "melmastoon_ai.errors.handler404"
handler500 = "melmastoon_ai.errors.handler500"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics_view, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its configuration script from its own URL: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("melmastoon_ai.api_urls")),
    path("hitl/", include("hitl.page_urls")),
    path("admin/", admin.site.urls),
]
