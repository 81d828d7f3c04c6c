"""The OpenAI adapter: the SDK call with its timeout, SDK retries off, and every SDK error classified.

Configuration comes through the constructor (`OpenAIConfig`); `from_settings()` reads it from
Django settings, which the registry calls once per process. Nothing here logs prompts or keys.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import openai
from django.conf import settings

from routing.providers.base import ProviderRequest, ProviderResponse, RequestContext, StreamChunk
from routing.providers.common import (
    Moderation,
    call_headers,
    chat_stream_chunks,
    provider_error,
    timeout_seconds,
    translated_sdk_errors,
)
from routing.providers.openai import mapping

DEFAULT_BASE_URL = "https://api.openai.com/v1"
API_REGIONS = ("us",)  # where OpenAI's API processes a call (routing/residency.py)
CLIENT_TIMEOUT_SECONDS = 30.0  # each call passes its own, shorter timeout


@dataclass(frozen=True)
class OpenAIConfig:
    api_key: str | None = None
    base_url: str = DEFAULT_BASE_URL
    moderation_model: str = "omni-moderation-latest"


class OpenAIAdapter:
    kind = "openai"

    def __init__(self, config: OpenAIConfig) -> None:
        self.config = config
        self._client: openai.OpenAI | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls) -> OpenAIAdapter:
        return cls(
            OpenAIConfig(
                api_key=getattr(settings, "OPENAI_API_KEY", None) or None,
                base_url=getattr(settings, "OPENAI_BASE_URL", None) or DEFAULT_BASE_URL,
            )
        )

    def is_configured(self, model: str | None = None) -> bool:
        return bool(self.config.api_key)

    def processing_regions(self, context: RequestContext) -> tuple[str, ...]:
        return API_REGIONS

    def complete(self, request: ProviderRequest) -> ProviderResponse:
        with translated_errors():
            completion = self._sdk().chat.completions.create(
                **mapping.chat_body(request),
                timeout=timeout_seconds(request),
                extra_headers=call_headers(request),
            )
        return mapping.chat_response(completion.model_dump(mode="json"))

    def stream(self, request: ProviderRequest) -> Iterator[StreamChunk]:
        """Chat Completions with `stream: true`; the last chunk carries the usage (`include_usage`)."""
        with translated_errors():
            chunks = self._sdk().chat.completions.create(
                **mapping.chat_body(request),
                stream=True,
                stream_options={"include_usage": True},
                timeout=timeout_seconds(request),
                extra_headers=call_headers(request),
            )
        return chat_stream_chunks(chunks, translated_errors, provider=mapping.PROVIDER)

    def moderate(self, text: str, *, timeout: float = 5.0) -> Moderation:
        with translated_errors():
            result = self._sdk().moderations.create(model=self.config.moderation_model, input=text, timeout=timeout)
        return mapping.moderation_result(result.model_dump(mode="json"))

    def _sdk(self) -> openai.OpenAI:
        if not self.is_configured():
            raise provider_error("auth", "openai is not configured")
        with self._lock:
            if self._client is None:
                self._client = openai.OpenAI(
                    api_key=self.config.api_key,
                    base_url=self.config.base_url,
                    max_retries=0,
                    timeout=CLIENT_TIMEOUT_SECONDS,
                )
            return self._client


def translated_errors():
    """Every OpenAI SDK error as a ProviderError."""
    return translated_sdk_errors(openai, mapping.PROVIDER, base_error=openai.OpenAIError)
