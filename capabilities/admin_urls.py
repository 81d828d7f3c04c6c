from django.urls import path

from capabilities import apis_admin

urlpatterns = [
    path("capabilities/<str:capability_id>/route", apis_admin.CapabilityRouteApi.as_view(), name="capability-route"),
    path(
        "capabilities/<str:capability_id>/route/history",
        apis_admin.CapabilityRouteHistoryApi.as_view(),
        name="capability-route-history",
    ),
]
