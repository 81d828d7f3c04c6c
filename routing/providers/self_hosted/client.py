"""The self-hosted adapter: an OpenAI-compatible server per model, found in the deployment registry.

The endpoint of a model is its ready `ModelDeployment` in this process's environment (seed 003,
`manage.py registry`); a model without one is not served. The OpenAI SDK is the transport, with
its retries off; its errors are classified as for OpenAI itself.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx2
import openai
from django.conf import settings

from routing.providers.base import ProviderError, ProviderRequest, ProviderResponse
from routing.providers.common import CAPABILITY_HEADER, provider_error, status_error, timeout_seconds
from routing.providers.self_hosted import mapping
from routing.selectors import deployment_for, model_catalog

# vLLM and TGI ignore the key unless started with one; the SDK insists on some value.
NO_API_KEY = "not-needed"
CLIENT_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class SelfHostedConfig:
    environment: str = "development"
    api_key: str = NO_API_KEY


class SelfHostedAdapter:
    kind = "self_hosted"

    def __init__(self, config: SelfHostedConfig) -> None:
        self.config = config
        self._clients: dict[str, openai.OpenAI] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls) -> SelfHostedAdapter:
        return cls(SelfHostedConfig(environment=getattr(settings, "DEPLOYMENT_ENVIRONMENT", None) or "development"))

    def is_configured(self, model: str | None = None) -> bool:
        """Whether `model` (or, without one, any self-hosted model) has a ready deployment here."""
        if model is not None:
            return self._endpoint(model) is not None
        return any(self._endpoint(spec.name) for spec in model_catalog().values() if spec.provider == self.kind)

    def complete(self, request: ProviderRequest) -> ProviderResponse:
        endpoint = self._endpoint(request.model)
        if endpoint is None:
            raise ProviderError("unavailable", f"no ready deployment of {request.model} in {self.config.environment}",
                                retryable=False)
        with translated_errors():
            completion = self._sdk(endpoint).chat.completions.create(
                **mapping.chat_body(request), timeout=timeout_seconds(request),
                extra_headers={CAPABILITY_HEADER: request.capability_id},
            )
        return mapping.chat_response(completion.model_dump(mode="json"))

    def _endpoint(self, model: str) -> str | None:
        deployment = deployment_for(model_name=model, environment=self.config.environment)
        return deployment.endpoint_url if deployment else None

    def _sdk(self, endpoint: str) -> openai.OpenAI:
        with self._lock:
            client = self._clients.get(endpoint)
            if client is None:
                client = openai.OpenAI(api_key=self.config.api_key, base_url=endpoint, max_retries=0,
                                       timeout=CLIENT_TIMEOUT_SECONDS)
                self._clients[endpoint] = client
            return client


@contextmanager
def translated_errors() -> Iterator[None]:
    """Every SDK error as a ProviderError (the server's message is dropped: it may echo input)."""
    provider = mapping.PROVIDER
    try:
        yield
    except openai.APIStatusError as exc:
        raise status_error(exc.status_code, provider=provider) from exc
    except openai.APITimeoutError as exc:
        raise provider_error("timeout", f"{provider} did not answer in time") from exc
    except openai.APIConnectionError as exc:
        if isinstance(exc.__cause__, httpx2.ConnectError):
            raise provider_error("unavailable", f"{provider} could not be reached") from exc
        raise provider_error("malformed", f"{provider} broke off its answer") from exc
    except (openai.APIResponseValidationError, json.JSONDecodeError) as exc:
        raise provider_error("malformed", f"{provider} answered an unreadable body") from exc
    except openai.OpenAIError as exc:
        raise provider_error("bad_request", f"{provider} rejected the call: {type(exc).__name__}") from exc
