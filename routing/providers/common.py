"""What every provider adapter shares: the JSON-output contract, the prompt texts, error kinds.

Pure helpers only: no provider SDK is imported here (each adapter imports its own, in its
`client.py`), so a change for one provider cannot break another.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from types import ModuleType

import httpx2

from melmastoon_ai.observability.tracing import current_traceparent
from routing.providers.base import ProviderError, ProviderRequest, ProviderResponse, StreamChunk

# Sent with every provider call: lets a fake provider server (routing/fakes) answer the right
# capability, and lets a proxy in front of a provider attribute spend. Carries no tenant data.
CAPABILITY_HEADER = "X-Melmastoon-Capability"


def call_headers(request: ProviderRequest) -> dict[str, str]:
    """The headers of every provider call: the capability, and the caller's W3C trace context
    (`traceparent` of the provider-call span the router opened, melmastoon_ai/observability/tracing.py)
    so the provider's side of the call joins the trace."""
    headers = {CAPABILITY_HEADER: request.capability_id}
    traceparent = current_traceparent()
    if traceparent:
        headers["traceparent"] = traceparent
    return headers


RETRYABLE_KINDS = frozenset({"timeout", "rate_limited", "overloaded", "server", "malformed", "unavailable"})


def provider_schema(schema: dict) -> dict:
    """A capability's output schema as sent to a provider: without the `$schema` marker some refuse."""
    return {key: value for key, value in schema.items() if key != "$schema"}


def system_text(request: ProviderRequest) -> str:
    """The prompt version's system text, or a neutral instruction when the capability has none."""
    if request.system_prompt:
        return request.system_prompt
    return (
        f"You perform the '{request.capability_id}' task of a hotel platform. "
        "Answer with one JSON object valid against the given output schema, and nothing else."
    )


def user_text(request: ProviderRequest) -> str:
    """The rendered user prompt, or the (redacted) input itself as canonical JSON."""
    if request.user_prompt:
        return request.user_prompt
    return json.dumps(request.payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def schema_instruction(schema: dict) -> str:
    """For providers that only promise *some* JSON object: say which one."""
    return "Answer with one JSON object valid against this JSON Schema:\n" + json.dumps(schema, sort_keys=True)


def parse_output(text: str | None, *, provider: str) -> object:
    """The model's text as JSON when it is JSON; otherwise the text itself, for the router to repair."""
    if text is None or not text.strip():
        raise ProviderError("malformed", f"{provider} answered no content", retryable=True)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def chat_completion_response(data: dict, *, provider: str) -> ProviderResponse:
    """An OpenAI-compatible chat completion (OpenAI, vLLM, TGI) as JSON, to our response.

    A refusal or a content-filter stop is `refused`; a completion without choices is `malformed`.
    """
    choices = data.get("choices") or []
    if not choices:
        raise ProviderError("malformed", f"{provider} answered no choices", retryable=True)
    choice = choices[0]
    message = choice.get("message") or {}
    if message.get("refusal") or choice.get("finish_reason") == "content_filter":
        raise ProviderError("refused", f"{provider} refused the request", retryable=False)
    usage = data.get("usage") or {}
    return ProviderResponse(
        output=parse_output(message.get("content"), provider=provider),
        input_tokens=int(usage.get("prompt_tokens") or 0),
        output_tokens=int(usage.get("completion_tokens") or 0),
        model_version=str(data.get("model") or ""),
    )


def chat_completion_chunk(data: dict, *, provider: str) -> StreamChunk:
    """One OpenAI-compatible `chat.completion.chunk` (as JSON) to our chunk. A refusal or a
    content-filter stop is `refused`, as for a whole completion."""
    choices = data.get("choices") or []
    text = ""
    if choices:
        choice = choices[0]
        delta = choice.get("delta") or {}
        if delta.get("refusal") or choice.get("finish_reason") == "content_filter":
            raise ProviderError("refused", f"{provider} refused the request", retryable=False)
        text = delta.get("content") or ""
    usage = data.get("usage") or {}
    return StreamChunk(
        text=text,
        input_tokens=usage.get("prompt_tokens"),
        output_tokens=usage.get("completion_tokens"),
        model_version=str(data.get("model") or ""),
    )


def chat_stream_chunks(
    stream: Iterable, errors: Callable[[], AbstractContextManager], *, provider: str
) -> Iterator[StreamChunk]:
    """An SDK's stream of chat chunks (openai: OpenAI itself, vLLM, TGI) as ours, its errors
    classified by `errors` (the adapter's translated_errors); closing this closes the SDK stream."""
    try:
        with errors():
            for chunk in stream:
                yield chat_completion_chunk(chunk.model_dump(mode="json"), provider=provider)
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()


def provider_error(kind: str, message: str) -> ProviderError:
    return ProviderError(kind, message, retryable=kind in RETRYABLE_KINDS)


def kind_for_status(status: int) -> str:
    if status == 429:
        return "rate_limited"
    if status in (503, 529):
        return "overloaded"
    if status in (401, 403):
        return "auth"
    if status == 408:
        return "timeout"
    if status >= 500:
        return "server"
    return "bad_request"


def status_error(status: int, *, provider: str) -> ProviderError:
    """An HTTP error status as a ProviderError; the provider's message is left out (it may echo input)."""
    return provider_error(kind_for_status(status), f"{provider} answered HTTP {status}")


def timeout_seconds(request: ProviderRequest) -> float:
    return max(0.001, request.timeout_seconds)


@dataclass(frozen=True)
class Moderation:
    """A moderation verdict: `flagged` and per-category booleans and scores (0..1)."""

    flagged: bool
    categories: dict[str, bool] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)


@contextmanager
def translated_sdk_errors(sdk: ModuleType, provider: str, *, base_error: type[Exception]) -> Iterator[None]:
    """Errors of the httpx-based SDKs (openai, anthropic: the same exception names) as ProviderError.

    The SDK's own message is dropped: it may echo the input. `sdk` is the SDK module, passed in by
    the adapter that imports it; `base_error` is that SDK's root exception (anything else it raises).
    """
    try:
        yield
    except sdk.APIStatusError as exc:
        raise status_error(exc.status_code, provider=provider) from exc
    except sdk.APITimeoutError as exc:
        raise provider_error("timeout", f"{provider} did not answer in time") from exc
    except sdk.APIConnectionError as exc:
        if isinstance(exc.__cause__, httpx2.ConnectError):
            raise provider_error("unavailable", f"{provider} could not be reached") from exc
        raise provider_error("malformed", f"{provider} broke off its answer") from exc
    except (sdk.APIResponseValidationError, json.JSONDecodeError) as exc:
        raise provider_error("malformed", f"{provider} answered an unreadable body") from exc
    except sdk.APIError as exc:  # an error event in the middle of a streamed answer
        raise provider_error("server", f"{provider} reported an error during its answer") from exc
    except httpx2.TimeoutException as exc:  # a stream's read, which some SDKs do not wrap
        raise provider_error("timeout", f"{provider} did not answer in time") from exc
    except httpx2.TransportError as exc:
        raise provider_error("malformed", f"{provider} broke off its answer") from exc
    except base_error as exc:
        raise provider_error("bad_request", f"{provider} rejected the call: {type(exc).__name__}") from exc
