from django.urls import path

from evals import apis

urlpatterns = [
    path("evals/runs", apis.EvalRunListApi.as_view(), name="eval-runs"),
    path("evals/runs/<str:run_id>", apis.EvalRunDetailApi.as_view(), name="eval-run"),
]
