from django.urls import path

from evals import apis

version = "prompts/<str:key>/versions/<str:version>"
urlpatterns = [
    path(f"{version}/promote", apis.PromptVersionPromoteApi.as_view(), name="prompt-version-promote"),
    path(
        f"{version}/promotion-check",
        apis.PromptVersionPromotionCheckApi.as_view(),
        name="prompt-version-promotion-check",
    ),
    path("evals/runs", apis.EvalRunListApi.as_view(), name="eval-runs"),
    path("evals/runs/<str:run_id>", apis.EvalRunDetailApi.as_view(), name="eval-run"),
]
