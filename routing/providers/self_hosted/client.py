"""The self-hosted adapter: an OpenAI-compatible server per model, found in the deployment registry.

The endpoint of a model is its ready `ModelDeployment` in this process's environment (seed 003,
`manage.py registry`); a model without one is not served. The OpenAI SDK is the transport, with
its retries off; its errors are classified as for OpenAI itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import openai
from django.conf import settings

from melmastoon_ai.outbound import UnsafeDestination, check_destination
from routing.providers.base import ProviderError, ProviderRequest, ProviderResponse, StreamChunk
from routing.providers.common import call_headers, chat_stream_chunks, timeout_seconds, translated_sdk_errors
from routing.providers.self_hosted import mapping
from routing.selectors import deployment_for, model_catalog

logger = logging.getLogger(__name__)
# vLLM and TGI ignore the key unless started with one; the SDK insists on some value.
NO_API_KEY = "not-needed"
CLIENT_TIMEOUT_SECONDS = 30.0
HEALTHY, UNHEALTHY = "healthy", "unhealthy"  # ModelDeployment.last_health_status, written by the probe


@dataclass(frozen=True)
class SelfHostedConfig:
    environment: str = "development"
    api_key: str = NO_API_KEY
    allowed_hosts: tuple[str, ...] = ()  # private hosts an endpoint may be on (melmastoon_ai/outbound.py)


class SelfHostedAdapter:
    kind = "self_hosted"

    def __init__(self, config: SelfHostedConfig) -> None:
        self.config = config
        self._clients: dict[str, openai.OpenAI] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls) -> SelfHostedAdapter:
        return cls(
            SelfHostedConfig(
                environment=getattr(settings, "DEPLOYMENT_ENVIRONMENT", None) or "development",
                allowed_hosts=tuple(getattr(settings, "MODEL_ENDPOINT_ALLOWED_HOSTS", ())),
            )
        )

    def is_configured(self, model: str | None = None) -> bool:
        """Whether `model` (or, without one, any self-hosted model) has a ready deployment here."""
        if model is not None:
            return self._endpoint(model) is not None
        return any(self._endpoint(spec.name) for spec in model_catalog().values() if spec.provider == self.kind)

    def complete(self, request: ProviderRequest) -> ProviderResponse:
        endpoint = self._ready_endpoint(request.model)
        with translated_errors():
            completion = self._sdk(endpoint).chat.completions.create(
                **mapping.chat_body(request),
                timeout=timeout_seconds(request),
                extra_headers=call_headers(request),
            )
        return mapping.chat_response(completion.model_dump(mode="json"))

    def stream(self, request: ProviderRequest) -> Iterator[StreamChunk]:
        """`stream: true` as vLLM and TGI serve it (OpenAI's chunk format, usage on the last one)."""
        endpoint = self._ready_endpoint(request.model)
        with translated_errors():
            chunks = self._sdk(endpoint).chat.completions.create(
                **mapping.chat_body(request),
                stream=True,
                stream_options={"include_usage": True},
                timeout=timeout_seconds(request),
                extra_headers=call_headers(request),
            )
        return chat_stream_chunks(chunks, translated_errors, provider=mapping.PROVIDER)

    def _ready_endpoint(self, model: str) -> str:
        endpoint = self._endpoint(model)
        if endpoint is None:
            raise ProviderError(
                "unavailable", f"no ready deployment of {model} in {self.config.environment}", retryable=False
            )
        self.check_endpoint(endpoint)
        return endpoint

    def probe(self, endpoint: str, *, timeout: float) -> str:
        """`healthy`, or `unhealthy:<kind>`: does the endpoint answer the OpenAI model list (vLLM, TGI)?"""
        try:
            self.check_endpoint(endpoint)
            with translated_errors():
                self._sdk(endpoint).models.list(timeout=timeout)
        except ProviderError as exc:
            return f"{UNHEALTHY}:{exc.kind}"
        return HEALTHY

    def check_endpoint(self, endpoint: str) -> None:
        """Checked again at call time: the name may resolve elsewhere than at registration."""
        try:
            check_destination(endpoint, allowed=self.config.allowed_hosts)
        except UnsafeDestination as exc:
            logger.warning("self-hosted endpoint refused", extra={"reason": exc.details.get("reason", exc.message)})
            raise ProviderError(
                "refused", f"{mapping.PROVIDER} endpoint refused: {exc.message}", retryable=False
            ) from exc

    def _endpoint(self, model: str) -> str | None:
        """The endpoint of the model's ready deployment here, unless its last health probe failed."""
        deployment = deployment_for(model_name=model, environment=self.config.environment)
        if deployment is None or deployment.health.startswith(UNHEALTHY):
            return None
        return deployment.endpoint_url

    def _sdk(self, endpoint: str) -> openai.OpenAI:
        with self._lock:
            client = self._clients.get(endpoint)
            if client is None:
                client = openai.OpenAI(
                    api_key=self.config.api_key, base_url=endpoint, max_retries=0, timeout=CLIENT_TIMEOUT_SECONDS
                )
                self._clients[endpoint] = client
            return client


def translated_errors():
    """Every SDK error (the openai SDK against an OpenAI-compatible server) as a ProviderError."""
    return translated_sdk_errors(openai, mapping.PROVIDER, base_error=openai.OpenAIError)
