"""The OpenAI-compatible views under /v1/ (capabilities/openai_compat.py): the same API keys
(`Authorization: Bearer`), OpenAI's shapes, OpenAI's error bodies."""

from __future__ import annotations

import base64
import struct

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from capabilities import openai_compat
from capabilities.apis import cache_directives
from capabilities.embedding import embed_request
from capabilities.errors import CapabilityUnknown
from capabilities.hashing import sha256_of
from capabilities.pipeline import circuit_breakers, complete
from capabilities.sse import event_stream_response, frame
from capabilities.streaming import stream_open
from melmastoon_ai.api import ProviderCallingAPIView, TenantAPIView
from melmastoon_ai.errors import ApplicationError, exception_handler
from melmastoon_ai.fields import StrictBooleanField, StrictCharField

MAX_EMBEDDING_INPUTS = 256


def openai_exception_handler(exc, context):
    """Our error envelope (melmastoon_ai/errors.py), rendered as OpenAI's error body."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    error = (response.data or {}).get("error") or {}
    details = error.get("details") or {}
    response.data = openai_compat.openai_error(
        error.get("code", "invalid_request"),
        error.get("message", ""),
        status=response.status_code,
        param=details.get("param"),
    )
    if error.get("request_id"):
        response.data["error"]["request_id"] = error["request_id"]
    return response


class OpenAICompatibleView(TenantAPIView):
    required_scope = "ai:invoke"

    def get_exception_handler(self):
        return openai_exception_handler


class ChatCompletionInputSerializer(serializers.Serializer):
    """OpenAI's fields that bear on the answer; sampling parameters (temperature, max_tokens, ...)
    are accepted and ignored: the capability's prompt version decides them."""

    model = StrictCharField(max_length=128)
    messages = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=256)
    stream = StrictBooleanField(required=False, default=False)
    response_format = serializers.DictField(required=False)
    user = StrictCharField(required=False, allow_blank=True, max_length=256)


class ChatCompletionsApi(OpenAICompatibleView, ProviderCallingAPIView):
    @extend_schema(
        request=ChatCompletionInputSerializer,
        responses={(200, "application/json"): OpenApiTypes.OBJECT, (200, "text/event-stream"): OpenApiTypes.STR},
        operation_id="openai_chat_completions",
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
    )
    def post(self, request):
        data = ChatCompletionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        key = request.headers.get("Idempotency-Key") or None
        if key and len(key) > 200:
            raise ApplicationError("Idempotency-Key is longer than 200 characters.")
        call = openai_compat.chat_call(
            dict(request.data) | {"model": values["model"]},
            request_id=request.request_id,
            idempotency_key=key,
            cache=cache_directives(request.headers.get("Cache-Control", "")),
        )
        tenant = self.principal.tenant
        if values["stream"]:
            stream = stream_open(call.completion, tenant=tenant)
            return event_stream_response(frame(chunk) for chunk in openai_compat.chat_chunks(call, stream.events()))
        outcome = complete(call.completion, tenant=tenant)
        response = Response(openai_compat.chat_completion(call, outcome))
        response["X-Inference-Id"] = outcome.body["id"]
        if outcome.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class EmbeddingsInputSerializer(serializers.Serializer):
    model = StrictCharField(max_length=128)
    input = serializers.JSONField()
    encoding_format = serializers.ChoiceField(choices=["float", "base64"], required=False, default="float")
    user = StrictCharField(required=False, allow_blank=True, max_length=256)

    def validate_input(self, value):
        texts = [value] if isinstance(value, str) else value
        if not isinstance(texts, list) or not texts or not all(isinstance(text, str) and text for text in texts):
            raise serializers.ValidationError("input must be a non-empty string or a list of them.")
        if len(texts) > MAX_EMBEDDING_INPUTS:
            raise serializers.ValidationError(f"at most {MAX_EMBEDDING_INPUTS} inputs.")
        return texts


class EmbeddingsApi(OpenAICompatibleView, ProviderCallingAPIView):
    @extend_schema(request=EmbeddingsInputSerializer, responses=OpenApiTypes.OBJECT, operation_id="openai_embeddings")
    def post(self, request):
        data = EmbeddingsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if openai_compat.resolve_model(values["model"]) != openai_compat.EMBEDDINGS_MODEL:
            raise openai_compat.ModelNotChatCompatible(
                f"The model {values['model']!r} does not make embeddings.",
                code="model_not_embedding",
                details={"param": "model"},
            )
        call = embed_request(
            tenant=self.principal.tenant, texts=values["input"], feature="embed", breakers=circuit_breakers()
        )
        result = call.embeddings
        as_base64 = values["encoding_format"] == "base64"
        return Response(
            {
                "object": "list",
                "model": values["model"],
                "data": [
                    {"object": "embedding", "index": index, "embedding": _encoded(vector, as_base64)}
                    for index, vector in enumerate(result.vectors)
                ],
                "usage": {"prompt_tokens": call.tokens, "total_tokens": call.tokens},
                "provenance": {
                    "tenant_id": str(self.principal.tenant_id),
                    "request_id": request.request_id,
                    "provider": result.provider,
                    "model": result.model,
                    "dim": result.dim,
                    "degraded": result.degraded,
                    "attempts": result.attempts,
                    "input_hash": sha256_of(values["input"]),
                    "cost_usd": f"{call.cost_usd:.6f}",
                    "safety": {"pii_redactions": result.pii_redactions},
                },
            }
        )


def _encoded(vector: list[float], as_base64: bool) -> list[float] | str:
    """`base64`: little-endian float32, what the OpenAI SDKs ask for by default and decode."""
    if not as_base64:
        return vector
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()


class ModelListApi(OpenAICompatibleView):
    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="openai_models_list")
    def get(self, request):
        return Response({"object": "list", "data": openai_compat.model_list()})


class ModelDetailApi(OpenAICompatibleView):
    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="openai_models_retrieve")
    def get(self, request, model: str):
        for row in openai_compat.model_list():
            if row["id"] == model:
                return Response(row)
        raise CapabilityUnknown(
            f"The model {model!r} does not exist.", code="model_not_found", details={"param": "model"}
        )
