from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from melmastoon_ai.errors import handler400, handler403, handler404, handler500  # noqa: F401  (Django reads them here)

urlpatterns = [
    path("", include("melmastoon_ai.observability.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its configuration script from its own URL: no inline script (CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("melmastoon_ai.api_urls")),
    path("v1/", include("capabilities.openai_urls")),  # the OpenAI-compatible surface (docs/api.md)
    path("hitl/", include("hitl.page_urls")),
    path("console/", include("capabilities.reporting.page_urls")),
    path("admin/", admin.site.urls),
]
