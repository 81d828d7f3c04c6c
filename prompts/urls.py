from django.urls import path

from prompts import apis

# promote and promotion-check on these paths are evals' (evals/urls.py): promotion is eval-gated
version = "prompts/<str:key>/versions/<str:version>"
urlpatterns = [
    path("prompts", apis.PromptListApi.as_view(), name="prompts"),
    path("prompts/<str:key>", apis.PromptDetailApi.as_view(), name="prompt"),
    path("prompts/<str:key>/versions", apis.PromptVersionCreateApi.as_view(), name="prompt-versions"),
    path(f"{version}/canary", apis.PromptVersionCanaryApi.as_view(), name="prompt-version-canary"),
    path(f"{version}/deprecate", apis.PromptVersionDeprecateApi.as_view(), name="prompt-version-deprecate"),
    path(f"{version}/retire", apis.PromptVersionRetireApi.as_view(), name="prompt-version-retire"),
]
