"""Our request to an OpenAI-compatible server (vLLM, TGI) and its answer back. Pure.

Self-hosted servers promise only *some* JSON object (`json_object`), so the schema travels in
the system message; the router validates what comes back.
"""

from __future__ import annotations

from routing.providers.base import ProviderRequest, ProviderResponse
from routing.providers.common import (
    chat_completion_response,
    provider_schema,
    schema_instruction,
    system_text,
    user_text,
)

PROVIDER = "self_hosted"


def chat_body(request: ProviderRequest) -> dict:
    system = f"{system_text(request)}\n\n{schema_instruction(provider_schema(request.output_schema))}"
    body = {
        "model": request.model,
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": user_text(request)}],
        "response_format": {"type": "json_object"},
        "temperature": request.temperature,
        "max_tokens": request.max_output_tokens,
    }
    if request.seed is not None:
        body["seed"] = request.seed
    return body


def chat_response(data: dict) -> ProviderResponse:
    return chat_completion_response(data, provider=PROVIDER)
