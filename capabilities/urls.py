from django.urls import path

from capabilities import apis

urlpatterns = [
    path("capabilities", apis.CapabilityListApi.as_view(), name="capabilities"),
    path("capabilities/<str:capability_id>", apis.CapabilityDetailApi.as_view(), name="capability"),
    path("complete", apis.CompleteApi.as_view(), name="complete"),
    path("embed", apis.EmbedApi.as_view(), name="embed"),
    path("moderate", apis.ModerateApi.as_view(), name="moderate"),
    path("inferences/<uuid:inference_id>", apis.InferenceDetailApi.as_view(), name="inference"),
    path("registry/snapshot", apis.RegistrySnapshotApi.as_view(), name="registry-snapshot"),
]
