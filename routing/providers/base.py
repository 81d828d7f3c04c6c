"""The one port every provider adapter implements, and the one error they raise.

Adapters live in routing/providers/<kind>/ (mapping.py: pure translation, client.py: the SDK
call); only they import a provider SDK. The router sees nothing provider-specific.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class FaqEntry:
    """One passage of the tenant's knowledge base (FAQ, SOP) given to a retrieving capability."""

    id: str  # the chunk's id: what `sources` cites
    question: str  # the FAQ question, or the passage's section heading / document title
    answer: str  # the passage's text
    locale: str
    document_id: str = ""
    similarity: float | None = None  # cosine similarity to the query, from the search that found it
    embedding_model: str = ""  # the model (and version) of that similarity


@dataclass(frozen=True)
class MediaItem:
    """An image or a recording a capability's input carries, as bytes: decoded from its base64
    field, or read from its `gcs://` / `gs://` reference (routing/media.py). Never logged."""

    kind: str  # "image" or "audio"
    data: bytes
    content_type: str  # what the bytes are, sniffed (inline) or as the bucket stored them (a reference)
    ref: str = ""  # the reference it was read from; empty for inline bytes

    def __repr__(self) -> str:  # the bytes are personal data (an ID scan, a voice): never in a traceback
        return f"MediaItem(kind={self.kind!r}, bytes={len(self.data)}, content_type={self.content_type!r})"


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
    disabled_providers: frozenset[str] = frozenset()  # switched off for this tenant (routing/flags.py)
    as_of: str = ""  # ISO date the deterministic fallbacks take as today (a replay pins the original's)
    media: tuple[MediaItem, ...] = ()  # the input's image / audio as bytes, for the adapters that read them

    def media_of(self, kind: str) -> MediaItem | None:
        return next((item for item in self.media if item.kind == kind), None)


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
    seed: int | None = None  # sent to the providers that take one (OpenAI, self-hosted, Vertex)


@dataclass
class ProviderResponse:
    output: Any  # a dict when the provider returned JSON; the text otherwise (the router repairs/validates)
    input_tokens: int = 0
    output_tokens: int = 0
    model_version: str = ""
    safety: dict = field(default_factory=dict)
    # What a service priced per page, minute, character or image billed (the model's price_unit);
    # 0 for token-priced models, which are billed by their tokens.
    billed_units: float = 0.0


@dataclass
class StreamChunk:
    """One piece of a streamed answer: its text, and (mostly on the last piece) the usage, the
    model version and the provider's safety ratings."""

    text: str = ""
    input_tokens: int | None = None
    output_tokens: int | None = None
    model_version: str = ""
    safety: dict | None = None


@dataclass(frozen=True)
class AuxiliaryRequest:
    """A pre-step of a capability (`auxiliary_models`: Document AI before the OCR prompt,
    Speech-to-Text before the STT prompt): the media to read and what helps reading it."""

    capability_id: str
    model: str
    media: MediaItem
    payload: dict  # the redacted input, without its media fields
    timeout_seconds: float
    context: RequestContext
    phrase_hints: tuple[str, ...] = ()  # words the speech is likely to contain (locale's hotel vocabulary, caller's)


@dataclass
class AuxiliaryResult:
    """What a pre-step read: the text, the named fields it found, and how sure it is (0..1)."""

    text: str
    confidence: float
    fields: dict[str, str] = field(default_factory=dict)
    model_version: str = ""
    billed_units: float = 0.0  # pages, minutes...: what the service bills for this read (its price_unit)


class AuxiliaryAdapter(Protocol):
    kind: str

    def is_configured(self, model: str | None = None) -> bool: ...

    def processing_regions(self, context: RequestContext) -> tuple[str, ...]: ...

    def extract(self, request: AuxiliaryRequest) -> AuxiliaryResult: ...


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


class StreamingAdapter(ProviderAdapter, Protocol):
    """An adapter that can also stream (the router streams through it when the caller asked)."""

    def stream(self, request: ProviderRequest) -> Iterator[StreamChunk]:
        """The answer's text as it arrives. A failure before the call is answered raises
        ProviderError from this call itself; one during the answer from the iterator. Closing the
        iterator closes the provider's stream."""
