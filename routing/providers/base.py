"""The one port every provider adapter implements, and the one error they raise.

Adapters live in routing/providers/<kind>/ (mapping.py: pure translation, client.py: the SDK
call); only they import a provider SDK. The router sees nothing provider-specific.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class FaqEntry:
    """One passage of the tenant's knowledge base (FAQ, SOP) given to a retrieving capability."""

    id: str
    question: str
    answer: str
    locale: str


@dataclass(frozen=True)
class RequestContext:
    """What an adapter may know about the caller and the call."""

    tenant_id: str
    tenant_region: str
    tenant_country: str
    locale: str
    feature: str
    offline: bool
    eu_only: bool = False
    faq_entries: tuple[FaqEntry, ...] = ()


@dataclass(frozen=True)
class ProviderRequest:
    capability_id: str
    model: str
    system_prompt: str | None
    user_prompt: str | None
    payload: dict  # the redacted input, valid against the capability's input schema
    output_schema: dict
    max_output_tokens: int
    temperature: float
    timeout_seconds: float
    context: RequestContext


@dataclass
class ProviderResponse:
    output: Any  # a dict when the provider returned JSON; the text otherwise (the router repairs/validates)
    input_tokens: int = 0
    output_tokens: int = 0
    model_version: str = ""
    safety: dict = field(default_factory=dict)


class ProviderError(Exception):
    """Anything that went wrong calling a provider, normalised.

    kind: timeout, rate_limited, overloaded, server, auth, bad_request, malformed, refused, unavailable
    """

    def __init__(self, kind: str, message: str, *, retryable: bool):
        super().__init__(message)
        self.kind = kind
        self.retryable = retryable


class ProviderAdapter(Protocol):
    kind: str

    def is_configured(self, model: str | None = None) -> bool:
        """Has this adapter what it needs (credentials, a ready deployment of `model`)?"""

    def processing_regions(self, context: RequestContext) -> tuple[str, ...]:
        """Where a call with this context would be processed (routing/residency.py). Cloud adapters
        only: edge, self-hosted and deterministic run on our own infrastructure."""

    def complete(self, request: ProviderRequest) -> ProviderResponse: ...
