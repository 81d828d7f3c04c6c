"""A fake Anthropic Messages API, direct (`/v1/messages`) and as the Vertex AI partner model (`:rawPredict`)."""

from __future__ import annotations

import json
from typing import ClassVar

from routing.fakes import answers
from routing.fakes.server import Call, FakeProviderServer, Reply, sse_frame, text_pieces

RAW_PREDICT_PATH = (
    r"/v1/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
    r"/publishers/anthropic/models/(?P<model>[^/:]+):rawPredict"
)
STREAM_RAW_PREDICT_PATH = RAW_PREDICT_PATH.removesuffix(":rawPredict") + ":streamRawPredict"
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "request_too_large",
    422: "invalid_request_error",
    429: "rate_limit_error",
    503: "overloaded_error",
    529: "overloaded_error",
}


def anthropic_error(status: int) -> dict:
    kind = _ERROR_TYPES.get(status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": f"fake anthropic: {kind}"}, "request_id": "req_fake"}


def _texts(body: dict) -> list[str]:
    system = body.get("system")
    texts = [system] if isinstance(system, str) else [block.get("text", "") for block in system or []]
    for message in body.get("messages") or []:
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts.extend(block.get("text", "") for block in content if isinstance(block, dict))
    return texts


def _forced_tool(body: dict) -> dict | None:
    tools = [tool for tool in body.get("tools") or [] if isinstance(tool, dict)]
    choice = body.get("tool_choice") or {}
    named = [tool for tool in tools if tool.get("name") == choice.get("name")]
    return (named or tools or [None])[0]


def message_reply(call: Call, model: str, number: int) -> Reply:
    """A Messages API answer: a `tool_use` block when a tool was offered, else JSON text."""
    texts = _texts(call.body)
    tool = _forced_tool(call.body)
    schema = tool.get("input_schema") if tool else None
    capability = answers.capability_for(call.headers, schema, texts)
    if capability is None:
        return Reply(anthropic_error(400), 400)
    output = answers.answer_for(capability, texts, degraded=call.behaviour.degraded)
    if call.behaviour.schema_invalid:
        output = answers.SCHEMA_INVALID_OUTPUT
    if call.behaviour.output is not None:
        output = call.behaviour.output
    if call.behaviour.refusal:
        content, stop_reason = [], "refusal"
    elif tool is not None:
        content = [{"type": "tool_use", "id": f"toolu_fake_{number}", "name": tool.get("name"), "input": output}]
        stop_reason = "tool_use"
    else:
        content, stop_reason = [{"type": "text", "text": json.dumps(output)}], "end_turn"
    usage = {
        "input_tokens": answers.count_tokens("".join(texts)),
        "output_tokens": answers.count_tokens(json.dumps(content)),
    }
    return Reply(
        {
            "id": f"msg_fake_{number}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage,
        },
        headers={"request-id": f"req_fake_{number}"},
    )


def message_stream_reply(call: Call, model: str, number: int) -> Reply:
    """The Messages API with `stream: true`: message_start (input usage), the tool's input as
    `input_json_delta`s (or the text as `text_delta`s), message_delta (stop reason, output usage),
    message_stop; a refusal stops at once. Each is a named event, as Anthropic sends them."""
    whole = message_reply(call, model, number)
    if whole.status != 200:
        return whole
    message = whole.payload
    start = message | {
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": message["usage"]["input_tokens"], "output_tokens": 1},
    }
    events = [sse_frame({"type": "message_start", "message": start}, "message_start")]
    for index, block in enumerate(message["content"]):
        if block["type"] == "tool_use":
            opened, text, kind = block | {"input": {}}, json.dumps(block["input"]), "input_json_delta"
        else:
            opened, text, kind = {"type": "text", "text": ""}, block["text"], "text_delta"
        events.append(
            sse_frame({"type": "content_block_start", "index": index, "content_block": opened}, "content_block_start")
        )
        key = "partial_json" if kind == "input_json_delta" else "text"
        events.extend(
            sse_frame(
                {"type": "content_block_delta", "index": index, "delta": {"type": kind, key: piece}},
                "content_block_delta",
            )
            for piece in text_pieces(text)
        )
        events.append(sse_frame({"type": "content_block_stop", "index": index}, "content_block_stop"))
    events.append(
        sse_frame(
            {
                "type": "message_delta",
                "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": message["usage"]["output_tokens"]},
            },
            "message_delta",
        )
    )
    events.append(sse_frame({"type": "message_stop"}, "message_stop"))
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "fake anthropic: overloaded"}}
    return Reply(None, events=events, error_event=sse_frame(error, "error"))


def messages_reply(call: Call, model: str, number: int) -> Reply:
    streamed = call.body.get("stream")
    return (message_stream_reply if streamed else message_reply)(call, model, number)


class FakeAnthropicServer(FakeProviderServer):
    provider = "anthropic"
    routes: ClassVar = (
        ("POST", r"/v1/messages", "messages"),
        ("POST", RAW_PREDICT_PATH, "raw_predict"),
    )

    def error_payload(self, status: int) -> dict:
        return anthropic_error(status)

    def messages(self, call: Call) -> Reply:
        return messages_reply(call, f"{call.body.get('model')}-fake", len(self.received))

    def raw_predict(self, call: Call) -> Reply:
        return messages_reply(call, f"{call.params['model']}-fake", len(self.received))
