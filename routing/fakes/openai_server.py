"""A fake OpenAI API (also what a self-hosted vLLM/TGI server speaks): chat, embeddings, moderations, models."""

from __future__ import annotations

import base64
import json
import struct
from typing import ClassVar

from routing.fakes import answers
from routing.fakes.server import Call, FakeProviderServer, Reply, sse_frame, text_pieces

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_api_key",
    403: "permission_denied",
    404: "not_found",
    408: "timeout",
    422: "invalid_request_error",
    429: "rate_limit_exceeded",
    503: "overloaded",
    529: "overloaded",
}
DEFAULT_EMBEDDING_DIMENSIONS = {"text-embedding-3-large": 3072}
# A tiny keyword list per moderation category: enough for tests to get both verdicts.
MODERATION_KEYWORDS = {
    "harassment": ("idiot", "stupid"),
    "hate": ("hate",),
    "self-harm": ("suicide", "hurt myself"),
    "sexual": ("explicit",),
    "violence": ("kill", "bomb", "attack"),
    "illicit": ("steal", "drugs"),
}
MODERATION_CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)


def message_texts(messages: list) -> list[str]:
    texts: list[str] = []
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts.extend(part.get("text", "") for part in content if isinstance(part, dict))
    return texts


def _requested_schema(body: dict) -> dict | None:
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return (response_format.get("json_schema") or {}).get("schema")
    return None


class FakeOpenAIServer(FakeProviderServer):
    provider = "openai"
    routes: ClassVar = (
        ("POST", r"/v1/chat/completions", "chat_completions"),
        ("POST", r"/v1/embeddings", "embeddings"),
        ("POST", r"/v1/moderations", "moderations"),
        ("GET", r"/v1/models", "models"),
    )

    def error_payload(self, status: int) -> dict:
        kind = _ERROR_TYPES.get(status, "server_error")
        return {"error": {"message": f"fake openai: {kind}", "type": kind, "param": None, "code": kind}}

    def chat_completions(self, call: Call) -> Reply:
        texts = message_texts(call.body.get("messages") or [])
        schema = _requested_schema(call.body)
        capability = answers.capability_for(call.headers, schema, texts)
        if capability is None:
            return Reply(self.error_payload(400) | {"detail": "the fake cannot tell the capability"}, 400)
        output = answers.answer_for(capability, texts, degraded=call.behaviour.degraded)
        if call.behaviour.schema_invalid:
            output = answers.SCHEMA_INVALID_OUTPUT
        if call.behaviour.output is not None:
            output = call.behaviour.output
        content = json.dumps(output)
        message = {"role": "assistant", "content": content, "refusal": None}
        if call.behaviour.refusal:
            message = {"role": "assistant", "content": None, "refusal": answers.REFUSAL_TEXT}
        prompt_tokens = answers.count_tokens("".join(texts))
        completion_tokens = answers.count_tokens(message["content"] or message["refusal"])
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        head = {
            "id": f"chatcmpl-fake-{len(self.received)}",
            "created": 1_700_000_000,
            "model": f"{call.body.get('model')}-fake",
            "system_fingerprint": "fp_fake",
        }
        if call.body.get("stream"):
            return self.chat_stream(call, head, message, usage)
        return Reply(
            head
            | {
                "object": "chat.completion",
                "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
                "usage": usage,
            }
        )

    def chat_stream(self, call: Call, head: dict, message: dict, usage: dict) -> Reply:
        """`stream: true`: a role chunk, the content a few characters a chunk (or the refusal), a
        finish chunk, the usage chunk when `stream_options.include_usage`, then `[DONE]`."""

        def chunk(delta: dict, finish_reason: str | None = None) -> bytes:
            choice = {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
            return sse_frame(head | {"object": "chat.completion.chunk", "choices": [choice]})

        events = [chunk({"role": "assistant", "content": ""})]
        if message["content"] is None:
            events.append(chunk({"refusal": message["refusal"]}))
        else:
            events.extend(chunk({"content": piece}) for piece in text_pieces(message["content"]))
        events.append(chunk({}, "stop"))
        if (call.body.get("stream_options") or {}).get("include_usage"):
            events.append(sse_frame(head | {"object": "chat.completion.chunk", "choices": [], "usage": usage}))
        events.append(sse_frame("[DONE]"))
        error = {
            "error": {
                "message": "fake openai: the server had an error while processing your request",
                "type": "server_error",
                "param": None,
                "code": None,
            }
        }
        return Reply(None, events=events, error_event=sse_frame(error))

    def models(self, call: Call) -> Reply:
        """What vLLM and TGI answer too: the served models (the deployment health probe asks it)."""
        return Reply(
            {
                "object": "list",
                "data": [
                    {"id": name, "object": "model", "created": 1_700_000_000, "owned_by": "fake"}
                    for name in ("phi-3-mini", "gpt-4o-mini")
                ],
            }
        )

    def embeddings(self, call: Call) -> Reply:
        inputs = call.body.get("input")
        texts = [inputs] if isinstance(inputs, str) else [str(item) for item in inputs or []]
        model = str(call.body.get("model"))
        dimensions = int(call.body.get("dimensions") or DEFAULT_EMBEDDING_DIMENSIONS.get(model, 1536))
        as_base64 = call.body.get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(texts):
            vector: object = answers.fake_embedding(text, dimensions)
            if as_base64:
                vector = base64.b64encode(struct.pack(f"<{dimensions}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": vector})
        tokens = answers.count_tokens("".join(texts))
        return Reply(
            {"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}
        )

    def moderations(self, call: Call) -> Reply:
        inputs = call.body.get("input")
        texts = [inputs] if isinstance(inputs, str) else [str(item) for item in inputs or []]
        return Reply(
            {
                "id": f"modr-fake-{len(self.received)}",
                "model": call.body.get("model") or "omni-moderation",
                "results": [moderation_result(text) for text in texts],
            }
        )


def moderation_result(text: str) -> dict:
    lowered = text.casefold()
    scores = {category: 0.001 for category in MODERATION_CATEGORIES}
    for category, words in MODERATION_KEYWORDS.items():
        if any(word in lowered for word in words):
            scores[category] = 0.97
    categories = {category: score > 0.5 for category, score in scores.items()}
    return {
        "flagged": any(categories.values()),
        "categories": categories,
        "category_scores": scores,
        "category_applied_input_types": {category: ["text"] for category in MODERATION_CATEGORIES},
    }
