from django.urls import path

from capabilities import apis, apis_forecast
from capabilities.reporting import apis as reporting

urlpatterns = [
    path("capabilities", apis.CapabilityListApi.as_view(), name="capabilities"),
    path("capabilities/<str:capability_id>", apis.CapabilityDetailApi.as_view(), name="capability"),
    path("complete", apis.CompleteApi.as_view(), name="complete"),
    path("embed", apis.EmbedApi.as_view(), name="embed"),
    path("moderate", apis.ModerateApi.as_view(), name="moderate"),
    path("inferences", reporting.InferenceListApi.as_view(), name="inferences"),
    path("usage", reporting.UsageApi.as_view(), name="usage"),
    path("inferences/<uuid:inference_id>", apis.InferenceDetailApi.as_view(), name="inference"),
    path("inferences/<uuid:inference_id>/replay", apis.InferenceReplayApi.as_view(), name="inference-replay"),
    path("forecasts/batches", apis_forecast.ForecastBatchListApi.as_view(), name="forecast-batches"),
    path("forecasts/batches/<uuid:batch_id>", apis_forecast.ForecastBatchDetailApi.as_view(), name="forecast-batch"),
    path("registry/snapshot", apis.RegistrySnapshotApi.as_view(), name="registry-snapshot"),
]
