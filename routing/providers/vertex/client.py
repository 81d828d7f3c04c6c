"""The Vertex AI adapter: Gemini through google-genai (`vertexai=True`), and text embeddings.

Configuration comes through the constructor (`VertexConfig`); `from_settings()` reads it from
Django settings, which the registry calls once per process. Calls go to the tenant's region
(`RequestContext.tenant_region`, else the configured location), one SDK client per region; the
timeout and our headers travel with each call. google-genai retries nothing unless asked.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import httpx2
import pydantic
from django.conf import settings
from google import genai
from google.auth.exceptions import GoogleAuthError
from google.genai import errors as genai_errors
from google.genai import types
from google.oauth2.credentials import Credentials

from routing.providers.base import ProviderRequest, ProviderResponse, RequestContext, StreamChunk
from routing.providers.common import call_headers, provider_error, status_error, timeout_seconds, user_text
from routing.providers.vertex import mapping

DEFAULT_LOCATION = "europe-west1"
EMBEDDING_MODEL = "text-embedding-004"
# google-genai talks httpx by default and httpx2 when GOOGLE_GENAI_HTTP_CLIENT says so: classify both.
_TIMEOUTS = (httpx.TimeoutException, httpx2.TimeoutException)
_REFUSED_CONNECTIONS = (httpx.ConnectError, httpx2.ConnectError)
_BROKEN_TRANSFERS = (httpx.TransportError, httpx2.TransportError)


@dataclass(frozen=True)
class VertexConfig:
    project: str | None = None
    location: str = DEFAULT_LOCATION
    base_url: str | None = None  # None: https://<region>-aiplatform.googleapis.com/
    access_token: str | None = None  # a static bearer token (fakes, tests); None: Application Default Credentials


class VertexAdapter:
    kind = "vertex"

    def __init__(self, config: VertexConfig) -> None:
        self.config = config
        self._clients: dict[str, genai.Client] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls) -> VertexAdapter:
        return cls(
            VertexConfig(
                project=getattr(settings, "VERTEX_PROJECT", None) or None,
                location=getattr(settings, "VERTEX_LOCATION", None) or DEFAULT_LOCATION,
                base_url=getattr(settings, "VERTEX_BASE_URL", None) or None,
                access_token=getattr(settings, "VERTEX_ACCESS_TOKEN", None) or None,
            )
        )

    def is_configured(self, model: str | None = None) -> bool:
        return bool(self.config.project)

    def processing_regions(self, context: RequestContext) -> tuple[str, ...]:
        return (context.tenant_region or self.config.location,)

    def complete(self, request: ProviderRequest) -> ProviderResponse:
        config = types.GenerateContentConfig(
            **mapping.generation_config(request),
            http_options=_call_options(timeout_seconds(request), call_headers(request)),
        )
        with translated_errors():
            response = self._sdk(request.context.tenant_region).models.generate_content(
                model=request.model, contents=user_text(request), config=config
            )
            data = response.model_dump(mode="json", by_alias=True, exclude_none=True)
        return mapping.generate_content_response(data)

    def stream(self, request: ProviderRequest) -> Iterator[StreamChunk]:
        """`:streamGenerateContent` (server-sent events). google-genai sends the request on the first
        read, so a failure to answer at all surfaces there, before any text, as it should."""
        config = types.GenerateContentConfig(
            **mapping.generation_config(request),
            http_options=_call_options(timeout_seconds(request), call_headers(request)),
        )
        with translated_errors():
            responses = self._sdk(request.context.tenant_region).models.generate_content_stream(
                model=request.model, contents=user_text(request), config=config
            )
        return _stream_chunks(responses)

    def embed(
        self, texts: list[str], *, region: str | None = None, timeout: float = 10.0, model: str = EMBEDDING_MODEL
    ) -> list[list[float]]:
        """One vector per text (768 dimensions for text-embedding-004), in order."""
        if not texts:
            return []
        config = types.EmbedContentConfig(http_options=_call_options(timeout, None))
        with translated_errors():
            response = self._sdk(region).models.embed_content(model=model, contents=list(texts), config=config)
            data = response.model_dump(mode="json", by_alias=True, exclude_none=True)
        return mapping.embedding_vectors(data, expected=len(texts))

    def _sdk(self, region: str | None) -> genai.Client:
        if not self.is_configured():
            raise provider_error("auth", "vertex is not configured")
        location = region or self.config.location
        with self._lock:
            client = self._clients.get(location)
            if client is None:
                client = self._new_client(location)
                self._clients[location] = client
            return client

    def _new_client(self, location: str) -> genai.Client:
        credentials = Credentials(token=self.config.access_token) if self.config.access_token else None
        options = types.HttpOptions(base_url=self.config.base_url) if self.config.base_url else None
        return genai.Client(
            vertexai=True, project=self.config.project, location=location, credentials=credentials, http_options=options
        )


def _stream_chunks(responses: Iterator) -> Iterator[StreamChunk]:
    try:
        with translated_errors():
            for response in responses:
                yield mapping.stream_chunk(response.model_dump(mode="json", by_alias=True, exclude_none=True))
    finally:
        close = getattr(responses, "close", None)
        if close is not None:
            close()


def _call_options(seconds: float, headers: dict[str, str] | None) -> types.HttpOptions:
    return types.HttpOptions(timeout=max(1, round(seconds * 1000)), headers=headers)


@contextmanager
def translated_errors() -> Iterator[None]:
    """Every google-genai / transport error as a ProviderError (the body is dropped: it may echo input)."""
    provider = mapping.PROVIDER
    try:
        yield
    except genai_errors.APIError as exc:
        raise status_error(int(exc.code or 500), provider=provider) from exc
    except _TIMEOUTS as exc:
        raise provider_error("timeout", f"{provider} did not answer in time") from exc
    except _REFUSED_CONNECTIONS as exc:
        raise provider_error("unavailable", f"{provider} could not be reached") from exc
    except _BROKEN_TRANSFERS as exc:
        raise provider_error("malformed", f"{provider} broke off its answer") from exc
    except (json.JSONDecodeError, pydantic.ValidationError, genai_errors.UnknownApiResponseError) as exc:
        raise provider_error("malformed", f"{provider} answered an unreadable body") from exc
    except GoogleAuthError as exc:
        raise provider_error("auth", f"{provider} has no usable credentials") from exc
