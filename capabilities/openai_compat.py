"""The OpenAI-compatible surface (/v1/chat/completions, /v1/embeddings, /v1/models): OpenAI's
request and response shapes around the same pipeline. Seed 001's decision 4 holds: `model` names
a capability (or an operator's alias of one, OPENAI_COMPAT_MODEL_ALIASES), never a model.

A chat call becomes a `CompletionRequest` through the capability's catalog `chat_mapping`
(capabilities/chat_mapping.py) and runs `complete` (or the streamed path) unchanged: auth,
budget, guardrails, cache, HITL, provenance, schema and idempotency are the pipeline's. The
answer comes back as a `chat.completion` (or `chat.completion.chunk`s ending in `[DONE]`), with
`usage` and our `provenance` as an extension field. Errors are OpenAI's error bodies.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings

from capabilities.chat_mapping import chat_input, output_content
from capabilities.errors import CapabilityUnknown
from capabilities.pipeline import CacheDirectives, CompletionOutcome, CompletionRequest
from capabilities.selectors import CapabilitySpec, capability_get, capability_list
from capabilities.streaming import StreamEvent
from melmastoon_ai.errors import ApplicationError

EMBEDDINGS_MODEL = "embeddings"  # the gateway's embedding endpoint: it chooses the model (capabilities/embedding.py)
OWNER = "melmastoon-ai"
# OpenAI's error `type` for our statuses
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    402: "insufficient_quota",
}


class ModelNotChatCompatible(ApplicationError):
    status = 400
    code = "model_not_chat_compatible"


def aliases() -> dict[str, str]:
    return dict(settings.OPENAI_COMPAT_MODEL_ALIASES)


def resolve_model(model: object) -> str:
    """The capability id (or `embeddings`) a `model` names; unknown names are 404 model_not_found."""
    name = str(model or "")
    target = aliases().get(name, name)
    if target == EMBEDDINGS_MODEL or capability_get(capability_id=target) is not None:
        return target
    raise CapabilityUnknown(f"The model {name!r} does not exist.", code="model_not_found", details={"param": "model"})


def chat_capability(model: object) -> CapabilitySpec:
    target = resolve_model(model)
    capability = capability_get(capability_id=target) if target != EMBEDDINGS_MODEL else None
    if capability is None or not capability.chat_compatible:
        raise ModelNotChatCompatible(f"The model {model!r} does not take chat messages.", details={"param": "model"})
    return capability


def model_list() -> list[dict]:
    """What a key with `ai:invoke` may call here: the chat-compatible capabilities, the embeddings
    endpoint and the operator's aliases of them."""
    names = [spec.id for spec in capability_list() if spec.chat_compatible] + [EMBEDDINGS_MODEL]
    names += [alias for alias, target in aliases().items() if target in names]
    return [{"id": name, "object": "model", "created": 0, "owned_by": OWNER} for name in names]


def wants_json(response_format: object) -> bool:
    return isinstance(response_format, dict) and response_format.get("type") in ("json_object", "json_schema")


@dataclass(frozen=True)
class ChatCall:
    """One chat request as the pipeline sees it, with what its answer needs to be rendered."""

    model: str
    capability: CapabilitySpec
    completion: CompletionRequest
    as_json: bool
    created: int

    @property
    def id(self) -> str:
        return f"chatcmpl-{self.completion.request_id}"

    def head(self, kind: str) -> dict:
        return {"id": self.id, "object": kind, "created": self.created, "model": self.model}


def chat_call(body: dict, *, request_id: str, idempotency_key: str | None, cache: CacheDirectives) -> ChatCall:
    capability = chat_capability(body.get("model"))
    mapped = chat_input(capability.chat_mapping, body.get("messages"))
    user = body.get("user")
    context = {"feature": f"openai:{capability.id}", "locale": mapped.locale}
    if isinstance(user, str) and user:
        context["subject_ref"] = user[:200]
    completion = CompletionRequest(
        capability=capability.id,
        input=mapped.input,
        context=context,
        request_id=request_id,
        idempotency_key=idempotency_key,
        **cache,
    )
    return ChatCall(
        model=str(body["model"]),
        capability=capability,
        completion=completion,
        as_json=wants_json(body.get("response_format")),
        created=int(time.time()),
    )


def usage_of(body: dict) -> dict:
    tokens = (body.get("provenance") or {}).get("tokens") or {}
    prompt, completion = int(tokens.get("input") or 0), int(tokens.get("output") or 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def chat_completion(call: ChatCall, outcome: CompletionOutcome) -> dict:
    body = outcome.body
    content = output_content(call.capability.chat_mapping, body["output"], as_json=call.as_json)
    return call.head("chat.completion") | {
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": usage_of(body),
        "provenance": _provenance(body),
    }


def _provenance(body: dict) -> dict:
    """Our provenance, with the inference id, whether it was degraded and its HITL gate."""
    return (body.get("provenance") or {}) | {
        "inference_id": body.get("id"),
        "degraded": body.get("degraded"),
        "hitl": body.get("hitl"),
    }


def chat_chunks(call: ChatCall, events: Iterator[StreamEvent]) -> Iterator[dict | str]:
    """The streamed path's events as `chat.completion.chunk`s: a role chunk, the text deltas (the
    whole JSON at the end instead, when the caller asked for JSON), a finish chunk with `usage` and
    `provenance`, then `[DONE]`. An error event becomes OpenAI's in-stream `{"error": ...}` (the
    SDKs raise it) and no `[DONE]` follows."""
    yield _chunk(call, {"role": "assistant", "content": ""})
    for event in events:
        if event.kind == "delta" and not call.as_json:
            yield _chunk(call, {"content": event.data["text"]})
        elif event.kind == "completed":
            if call.as_json:
                yield _chunk(
                    call, {"content": output_content(call.capability.chat_mapping, event.data["output"], as_json=True)}
                )
            yield call.head("chat.completion.chunk") | {
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop", "logprobs": None}],
                "usage": usage_of(event.data),
                "provenance": _provenance(event.data),
            }
            yield "[DONE]"
        elif event.kind == "error":
            error = event.data["error"]
            yield {"error": openai_error(error["code"], error["message"], status=502)["error"]}
            return


def _chunk(call: ChatCall, delta: dict) -> dict:
    return call.head("chat.completion.chunk") | {
        "choices": [{"index": 0, "delta": delta, "finish_reason": None, "logprobs": None}]
    }


def openai_error(code: str, message: str, *, status: int, param: str | None = None) -> dict:
    error_type = ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}
