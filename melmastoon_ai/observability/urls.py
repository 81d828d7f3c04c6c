"""Health, readiness and metrics: served by every web role (the API's and the signer's URL confs)."""

from django.urls import path

from melmastoon_ai.observability import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics_view, name="metrics"),
]
