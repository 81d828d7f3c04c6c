"""The URL conf of the manifest signer service (SERVICE_ROLE=signer): health, readiness and metrics,
the one internal publish endpoint, and nothing of the public API."""

from django.urls import include, path

from manifests.publishing import PUBLISH_PATH
from manifests.signer_apis import SignerPublishApi
from melmastoon_ai.errors import handler400, handler403, handler404, handler500  # noqa: F401  (Django reads them here)

urlpatterns = [
    path("", include("melmastoon_ai.observability.urls")),
    path(PUBLISH_PATH.lstrip("/"), SignerPublishApi.as_view(), name="signer-publish"),
]
