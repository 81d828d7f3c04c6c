from django.urls import path

from manifests import apis

urlpatterns = [
    path("manifests/latest", apis.LatestManifestApi.as_view(), name="manifest-latest"),
    path("manifests/files/<str:token>", apis.ModelFileDownloadApi.as_view(), name="edge-model-download"),
]

admin_urlpatterns = [
    path("manifests", apis.ManifestPublishApi.as_view(), name="manifest-publish"),
    path("manifests/rotate-key", apis.SigningKeyRotateApi.as_view(), name="manifest-rotate-key"),
]
