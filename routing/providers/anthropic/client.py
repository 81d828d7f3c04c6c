"""The Anthropic adapter: Claude through Anthropic's API or, with `vertex=True`, through Vertex AI.

Configuration comes through the constructor (`AnthropicConfig`); `from_settings()` reads it from
Django settings, which the registry calls once per process. On Vertex the region is the tenant's
(`RequestContext.tenant_region`), so one SDK client is kept per region. SDK retries are off.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import anthropic
from django.conf import settings
from google.auth.exceptions import GoogleAuthError

from routing.providers.anthropic import mapping
from routing.providers.base import ProviderRequest, ProviderResponse, RequestContext, StreamChunk
from routing.providers.common import call_headers, provider_error, timeout_seconds, translated_sdk_errors

DEFAULT_BASE_URL = "https://api.anthropic.com"
DIRECT_API_REGIONS = ("us",)  # Anthropic's own API processes in the US; only Vertex keeps Claude in a region
CLIENT_TIMEOUT_SECONDS = 30.0  # each call passes its own, shorter timeout


@dataclass(frozen=True)
class AnthropicConfig:
    api_key: str | None = None
    base_url: str = DEFAULT_BASE_URL
    vertex: bool = False  # Claude as a Vertex AI partner model, billed and resident with Vertex
    vertex_project: str | None = None
    vertex_location: str = "europe-west1"
    vertex_base_url: str | None = None  # the Vertex endpoint without the API version; None: the region's
    vertex_access_token: str | None = None  # None: Application Default Credentials


class AnthropicAdapter:
    kind = "anthropic"

    def __init__(self, config: AnthropicConfig) -> None:
        self.config = config
        self._clients: dict[str, anthropic.Anthropic | anthropic.AnthropicVertex] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls) -> AnthropicAdapter:
        return cls(
            AnthropicConfig(
                api_key=getattr(settings, "ANTHROPIC_API_KEY", None) or None,
                base_url=getattr(settings, "ANTHROPIC_BASE_URL", None) or DEFAULT_BASE_URL,
                vertex=bool(getattr(settings, "VERTEX_ANTHROPIC", False)),
                vertex_project=getattr(settings, "VERTEX_PROJECT", None) or None,
                vertex_location=getattr(settings, "VERTEX_LOCATION", None) or "europe-west1",
                vertex_base_url=getattr(settings, "VERTEX_BASE_URL", None) or None,
                vertex_access_token=getattr(settings, "VERTEX_ACCESS_TOKEN", None) or None,
            )
        )

    def is_configured(self, model: str | None = None) -> bool:
        return bool(self.config.vertex_project if self.config.vertex else self.config.api_key)

    def processing_regions(self, context: RequestContext) -> tuple[str, ...]:
        if self.config.vertex:
            return (self._vertex_region(context.tenant_region),)
        return DIRECT_API_REGIONS

    def complete(self, request: ProviderRequest) -> ProviderResponse:
        body = mapping.messages_body(request, vertex=self.config.vertex)
        with translated_errors():
            message = self._sdk(request.context.tenant_region).messages.create(
                **body,
                timeout=timeout_seconds(request),
                extra_headers=call_headers(request),
            )
        return mapping.messages_response(message.model_dump(mode="json"), capability_id=request.capability_id)

    def stream(self, request: ProviderRequest) -> Iterator[StreamChunk]:
        """Messages with `stream: true` (`:streamRawPredict` on Vertex): the raw events, read as they come."""
        body = mapping.messages_body(request, vertex=self.config.vertex)
        with translated_errors():
            events = self._sdk(request.context.tenant_region).messages.create(
                **body,
                stream=True,
                timeout=timeout_seconds(request),
                extra_headers=call_headers(request),
            )
        return _stream_chunks(events)

    def _sdk(self, tenant_region: str) -> anthropic.Anthropic | anthropic.AnthropicVertex:
        if not self.is_configured():
            raise provider_error("auth", "anthropic is not configured")
        region = self._vertex_region(tenant_region) if self.config.vertex else ""
        with self._lock:
            client = self._clients.get(region)
            if client is None:
                client = (
                    self._vertex_client(region)
                    if self.config.vertex
                    else anthropic.Anthropic(
                        api_key=self.config.api_key,
                        base_url=self.config.base_url,
                        max_retries=0,
                        timeout=CLIENT_TIMEOUT_SECONDS,
                    )
                )
                self._clients[region] = client
            return client

    def _vertex_region(self, tenant_region: str) -> str:
        return tenant_region or self.config.vertex_location

    def _vertex_client(self, region: str) -> anthropic.AnthropicVertex:
        base_url = f"{self.config.vertex_base_url.rstrip('/')}/v1" if self.config.vertex_base_url else None
        return anthropic.AnthropicVertex(
            project_id=self.config.vertex_project,
            region=region,
            access_token=self.config.vertex_access_token,
            base_url=base_url,
            max_retries=0,
            timeout=CLIENT_TIMEOUT_SECONDS,
        )


def _stream_chunks(events) -> Iterator[StreamChunk]:
    try:
        with translated_errors():
            for event in events:
                yield mapping.stream_event(event.model_dump(mode="json"))
    finally:
        events.close()


@contextmanager
def translated_errors() -> Iterator[None]:
    """Every Anthropic SDK error as a ProviderError; Vertex credentials that fail are `auth`."""
    try:
        with translated_sdk_errors(anthropic, mapping.PROVIDER, base_error=anthropic.AnthropicError):
            try:
                yield
            except anthropic.APIStatusError as exc:
                if exc.status_code >= 400:
                    raise
                # an `error` event in the middle of a streamed answer (its HTTP status was 200)
                raise provider_error("server", f"{mapping.PROVIDER} reported an error during its answer") from exc
    except GoogleAuthError as exc:
        raise provider_error("auth", f"{mapping.PROVIDER} on vertex has no usable credentials") from exc
