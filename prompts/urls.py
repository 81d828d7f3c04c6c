from django.urls import path

from prompts import apis

version = "prompts/<str:key>/versions/<str:version>"
urlpatterns = [
    path("prompts", apis.PromptListApi.as_view(), name="prompts"),
    path("prompts/<str:key>", apis.PromptDetailApi.as_view(), name="prompt"),
    path("prompts/<str:key>/versions", apis.PromptVersionCreateApi.as_view(), name="prompt-versions"),
    path(f"{version}/canary", apis.PromptVersionCanaryApi.as_view(), name="prompt-version-canary"),
    path(f"{version}/promote", apis.PromptVersionPromoteApi.as_view(), name="prompt-version-promote"),
    path(f"{version}/deprecate", apis.PromptVersionDeprecateApi.as_view(), name="prompt-version-deprecate"),
    path(f"{version}/retire", apis.PromptVersionRetireApi.as_view(), name="prompt-version-retire"),
    path(f"{version}/promotion-check", apis.PromptVersionPromotionCheckApi.as_view(),
         name="prompt-version-promotion-check"),
]
