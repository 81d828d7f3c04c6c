"""Our request to OpenAI's Chat Completions body, and its answers (as JSON) back to ours. Pure."""

from __future__ import annotations

import re

from routing.providers.base import ProviderError, ProviderRequest, ProviderResponse
from routing.providers.common import (
    Moderation,
    chat_completion_response,
    provider_schema,
    system_text,
    user_text,
)

PROVIDER = "openai"


def schema_name(capability_id: str) -> str:
    """`json_schema.name` allows letters, digits, `_` and `-`, at most 64."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", capability_id)[:64]


def chat_body(request: ProviderRequest) -> dict:
    """The Chat Completions body: structured output against the capability's schema, not strict
    (strict mode rejects schemas with optional properties, which ours have)."""
    body = {
        "model": request.model,
        "messages": [
            {"role": "system", "content": system_text(request)},
            {"role": "user", "content": user_text(request)},
        ],
        "response_format": {
            "type": "json_schema",
            "json_schema": {
                "name": schema_name(request.capability_id),
                "schema": provider_schema(request.output_schema),
                "strict": False,
            },
        },
        "temperature": request.temperature,
        "max_completion_tokens": request.max_output_tokens,
    }
    if request.seed is not None:
        body["seed"] = request.seed
    return body


def chat_response(data: dict) -> ProviderResponse:
    return chat_completion_response(data, provider=PROVIDER)


def moderation_result(data: dict) -> Moderation:
    results = data.get("results") or []
    if not results:
        raise ProviderError("malformed", f"{PROVIDER} answered no moderation result", retryable=True)
    result = results[0]
    return Moderation(
        flagged=bool(result.get("flagged")),
        categories={name: bool(value) for name, value in (result.get("categories") or {}).items()},
        scores={name: float(value) for name, value in (result.get("category_scores") or {}).items()},
    )
