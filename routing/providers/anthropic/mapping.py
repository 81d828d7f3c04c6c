"""Our request to Anthropic's Messages API and its answer back. Pure.

JSON output is one forced tool whose `input_schema` is the capability's output schema: the
model "calls" it, and the call's `input` is the output. The Messages API (SDK 2.x) takes no
sampling temperature any more, so `request.temperature` is not sent.
"""

from __future__ import annotations

import re

from routing.providers.base import ProviderError, ProviderRequest, ProviderResponse, StreamChunk
from routing.providers.common import parse_output, provider_schema, system_text, user_text

PROVIDER = "anthropic"

# Catalog names to the provider's model ids; a name not listed is sent as it is.
API_MODEL_IDS = {"claude-3-5-sonnet": "claude-3-5-sonnet-20241022"}
VERTEX_MODEL_IDS = {"claude-3-5-sonnet": "claude-3-5-sonnet-v2@20241022"}


def model_id(name: str, *, vertex: bool) -> str:
    return (VERTEX_MODEL_IDS if vertex else API_MODEL_IDS).get(name, name)


def tool_name(capability_id: str) -> str:
    """Tool names allow letters, digits, `_` and `-`, at most 64."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", capability_id)[:64]


def messages_body(request: ProviderRequest, *, vertex: bool = False) -> dict:
    name = tool_name(request.capability_id)
    return {
        "model": model_id(request.model, vertex=vertex),
        "system": system_text(request),
        "messages": [{"role": "user", "content": user_text(request)}],
        "tools": [
            {
                "name": name,
                "description": f"Record the {request.capability_id} output.",
                "input_schema": provider_schema(request.output_schema),
            }
        ],
        "tool_choice": {"type": "tool", "name": name},
        "max_tokens": request.max_output_tokens,
    }


def stream_event(data: dict) -> StreamChunk:
    """One event of a streamed Messages answer: the forced tool's input arrives as
    `input_json_delta`s (text as `text_delta`s); usage in message_start and message_delta."""
    kind = data.get("type")
    if kind == "message_start":
        message = data.get("message") or {}
        return StreamChunk(
            input_tokens=(message.get("usage") or {}).get("input_tokens"), model_version=str(message.get("model") or "")
        )
    if kind == "content_block_delta":
        delta = data.get("delta") or {}
        return StreamChunk(text=delta.get("partial_json") or delta.get("text") or "")
    if kind == "message_delta":
        if (data.get("delta") or {}).get("stop_reason") == "refusal":
            raise ProviderError("refused", f"{PROVIDER} refused the request", retryable=False)
        return StreamChunk(output_tokens=(data.get("usage") or {}).get("output_tokens"))
    return StreamChunk()


def messages_response(data: dict, *, capability_id: str) -> ProviderResponse:
    """The forced tool's input; else the text blocks (for the router to repair); a refusal is `refused`."""
    if data.get("stop_reason") == "refusal":
        raise ProviderError("refused", f"{PROVIDER} refused the request", retryable=False)
    blocks = [block for block in data.get("content") or [] if isinstance(block, dict)]
    name = tool_name(capability_id)
    calls = [block for block in blocks if block.get("type") == "tool_use" and block.get("name") == name]
    if calls:
        output: object = calls[0].get("input")
    else:
        text = "".join(block.get("text") or "" for block in blocks if block.get("type") == "text")
        output = parse_output(text, provider=PROVIDER)
    usage = data.get("usage") or {}
    return ProviderResponse(
        output=output,
        input_tokens=int(usage.get("input_tokens") or 0),
        output_tokens=int(usage.get("output_tokens") or 0),
        model_version=str(data.get("model") or ""),
    )
