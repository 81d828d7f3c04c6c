from django.urls import path

from hitl import apis

urlpatterns = [
    path("gates", apis.GateListApi.as_view(), name="hitl-gates"),
    path("gates/<uuid:gate_id>", apis.GateDetailApi.as_view(), name="hitl-gate"),
    path("gates/<uuid:gate_id>/decision", apis.GateDecisionApi.as_view(), name="hitl-gate-decision"),
]
