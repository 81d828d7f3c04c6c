from django.urls import path

from capabilities import apis

urlpatterns = [
    path("capabilities", apis.CapabilityListApi.as_view(), name="capabilities"),
    path("capabilities/<str:capability_id>", apis.CapabilityDetailApi.as_view(), name="capability"),
]
