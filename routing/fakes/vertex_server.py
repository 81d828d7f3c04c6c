"""A fake Vertex AI endpoint: Gemini `:generateContent`, text-embedding `:predict`, Claude `:rawPredict`."""

from __future__ import annotations

import json
from typing import ClassVar

from routing.fakes import answers
from routing.fakes.anthropic_server import (
    RAW_PREDICT_PATH,
    STREAM_RAW_PREDICT_PATH,
    message_reply,
    message_stream_reply,
)
from routing.fakes.server import Call, FakeProviderServer, Reply, sse_frame, text_pieces

_MODEL_PATH = (
    r"/(?P<version>v1|v1beta1)/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
    r"/publishers/google/models/(?P<model>[^/:]+)"
)
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    422: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
    529: "UNAVAILABLE",
}
HARM_CATEGORIES = (
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
)
EMBEDDING_DIMENSIONS = 768


def google_error(status: int) -> dict:
    """The error body of Google APIs (`google.rpc.Status` in JSON)."""
    name = _STATUS_NAMES.get(status, "INTERNAL")
    return {"error": {"code": status, "message": f"fake google api: {name}", "status": name}}


def safety_ratings(*, blocked: bool) -> list[dict]:
    ratings = [
        {
            "category": category,
            "probability": "NEGLIGIBLE",
            "probabilityScore": 0.02,
            "severity": "HARM_SEVERITY_NEGLIGIBLE",
            "severityScore": 0.01,
        }
        for category in HARM_CATEGORIES
    ]
    if blocked:
        ratings[1] = {
            "category": HARM_CATEGORIES[1],
            "probability": "HIGH",
            "probabilityScore": 0.97,
            "severity": "HARM_SEVERITY_HIGH",
            "severityScore": 0.93,
            "blocked": True,
        }
    return ratings


def _texts(body: dict) -> list[str]:
    contents = list(body.get("contents") or [])
    if isinstance(body.get("systemInstruction"), dict):
        contents.insert(0, body["systemInstruction"])
    return [
        part.get("text", "")
        for content in contents
        if isinstance(content, dict)
        for part in content.get("parts") or []
        if isinstance(part, dict)
    ]


class FakeVertexServer(FakeProviderServer):
    provider = "vertex"
    routes: ClassVar = (
        ("POST", _MODEL_PATH + r":generateContent", "generate_content"),
        ("POST", _MODEL_PATH + r":streamGenerateContent", "stream_generate_content"),
        ("POST", _MODEL_PATH + r":predict", "predict"),
        ("POST", RAW_PREDICT_PATH, "raw_predict"),
        ("POST", STREAM_RAW_PREDICT_PATH, "stream_raw_predict"),
    )

    def error_payload(self, status: int) -> dict:
        return google_error(status)

    def generate_content(self, call: Call) -> Reply:
        texts = _texts(call.body)
        config = call.body.get("generationConfig") or {}
        schema = config.get("responseJsonSchema") or config.get("responseSchema")
        capability = answers.capability_for(call.headers, schema, texts)
        if capability is None:
            return Reply(self.error_payload(400), 400)
        output = answers.answer_for(capability, texts, degraded=call.behaviour.degraded)
        if call.behaviour.schema_invalid:
            output = answers.SCHEMA_INVALID_OUTPUT
        if call.behaviour.output is not None:
            output = call.behaviour.output
        text = json.dumps(output)
        candidate: dict = {
            "content": {"role": "model", "parts": [{"text": text}]},
            "finishReason": "STOP",
            "safetyRatings": safety_ratings(blocked=False),
        }
        if call.behaviour.refusal:
            candidate = {"finishReason": "SAFETY", "safetyRatings": safety_ratings(blocked=True)}
            text = ""
        prompt_tokens, output_tokens = answers.count_tokens("".join(texts)), answers.count_tokens(text)
        return Reply(
            {
                "candidates": [candidate],
                "usageMetadata": {
                    "promptTokenCount": prompt_tokens,
                    "candidatesTokenCount": output_tokens,
                    "totalTokenCount": prompt_tokens + output_tokens,
                },
                "modelVersion": f"{call.params['model']}-fake",
                "responseId": f"fake-{len(self.received)}",
            }
        )

    def stream_generate_content(self, call: Call) -> Reply:
        """`?alt=sse`: the answer's text a few characters an event, the last event with the finish
        reason, the safety ratings and the usage; a refusal is one event with `SAFETY`."""
        whole = self.generate_content(call)
        if whole.status != 200:
            return whole
        candidate, meta = (
            whole.payload["candidates"][0],
            {key: value for key, value in whole.payload.items() if key in ("modelVersion", "responseId")},
        )
        if "content" not in candidate:
            return Reply(None, events=[sse_frame({"candidates": [candidate]} | meta)])
        pieces = text_pieces(candidate["content"]["parts"][0]["text"])
        events = [
            sse_frame({"candidates": [{"content": {"role": "model", "parts": [{"text": piece}]}}]} | meta)
            for piece in pieces[:-1]
        ]
        last = {
            "content": {"role": "model", "parts": [{"text": pieces[-1]}]},
            "finishReason": "STOP",
            "safetyRatings": candidate["safetyRatings"],
        }
        events.append(sse_frame({"candidates": [last], "usageMetadata": whole.payload["usageMetadata"]} | meta))
        return Reply(None, events=events, error_event=sse_frame(google_error(500)))

    def predict(self, call: Call) -> Reply:
        texts = [
            str(instance.get("content", ""))
            for instance in call.body.get("instances") or []
            if isinstance(instance, dict)
        ]
        predictions = [
            {
                "embeddings": {
                    "values": answers.fake_embedding(text, EMBEDDING_DIMENSIONS),
                    "statistics": {"truncated": False, "token_count": answers.count_tokens(text)},
                }
            }
            for text in texts
        ]
        return Reply(
            {"predictions": predictions, "metadata": {"billableCharacterCount": sum(len(text) for text in texts)}}
        )

    def raw_predict(self, call: Call) -> Reply:
        return message_reply(call, f"{call.params['model']}-fake", len(self.received))

    def stream_raw_predict(self, call: Call) -> Reply:
        return message_stream_reply(call, f"{call.params['model']}-fake", len(self.received))
