"""The OpenAI-compatible surface, mounted at /v1/ under the service root (melmastoon_ai/urls.py)."""

from django.urls import path

from capabilities import apis_openai

urlpatterns = [
    path("chat/completions", apis_openai.ChatCompletionsApi.as_view(), name="openai-chat-completions"),
    path("embeddings", apis_openai.EmbeddingsApi.as_view(), name="openai-embeddings"),
    path("models", apis_openai.ModelListApi.as_view(), name="openai-models"),
    path("models/<str:model>", apis_openai.ModelDetailApi.as_view(), name="openai-model"),
]
