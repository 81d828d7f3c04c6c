"""Our request to Vertex AI Gemini (`generateContent`) and its answers back. Pure.

Responses are read as JSON with the wire's camelCase names (`candidates`, `usageMetadata`,
`safetyRatings`), which is also how the google-genai response models dump with `by_alias=True`.
"""

from __future__ import annotations

from routing.providers.base import ProviderError, ProviderRequest, ProviderResponse, StreamChunk
from routing.providers.common import parse_output, provider_schema, system_text

PROVIDER = "vertex"
# A candidate stopped for one of these carries no usable answer: the provider blocked it.
BLOCKED_FINISH_REASONS = frozenset({"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION", "IMAGE_SAFETY"})


def generation_config(request: ProviderRequest) -> dict:
    """The fields of google-genai's `GenerateContentConfig`: JSON output against the raw JSON Schema."""
    body = {
        "system_instruction": system_text(request),
        "response_mime_type": "application/json",
        "response_json_schema": provider_schema(request.output_schema),
        "temperature": request.temperature,
        "max_output_tokens": request.max_output_tokens,
    }
    if request.seed is not None:
        body["seed"] = request.seed
    return body


def safety_summary(ratings: list | None) -> dict:
    """`{"ratings": {category: probability}, "blocked": [categories]}`; empty when none were sent."""
    rated = [rating for rating in ratings or [] if isinstance(rating, dict) and rating.get("category")]
    if not rated:
        return {}
    return {
        "ratings": {rating["category"]: rating.get("probability", "") for rating in rated},
        "blocked": [rating["category"] for rating in rated if rating.get("blocked")],
    }


def generate_content_response(data: dict) -> ProviderResponse:
    """A blocked prompt or candidate is `refused`; no candidate at all is `malformed`."""
    if (data.get("promptFeedback") or {}).get("blockReason"):
        raise ProviderError("refused", f"{PROVIDER} blocked the prompt", retryable=False)
    candidates = data.get("candidates") or []
    if not candidates:
        raise ProviderError("malformed", f"{PROVIDER} answered no candidate", retryable=True)
    candidate = candidates[0]
    if candidate.get("finishReason") in BLOCKED_FINISH_REASONS:
        raise ProviderError("refused", f"{PROVIDER} blocked the answer ({candidate['finishReason']})", retryable=False)
    parts = (candidate.get("content") or {}).get("parts") or []
    text = "".join(part.get("text") or "" for part in parts if isinstance(part, dict) and not part.get("thought"))
    usage = data.get("usageMetadata") or {}
    return ProviderResponse(
        output=parse_output(text, provider=PROVIDER),
        input_tokens=int(usage.get("promptTokenCount") or 0),
        output_tokens=int(usage.get("candidatesTokenCount") or 0),
        model_version=str(data.get("modelVersion") or ""),
        safety=safety_summary(candidate.get("safetyRatings")),
    )


def stream_chunk(data: dict) -> StreamChunk:
    """One response of `:streamGenerateContent`: its text; the usage, the model version and the
    safety ratings when it carries them (the last one does). A block is `refused`, as whole."""
    if (data.get("promptFeedback") or {}).get("blockReason"):
        raise ProviderError("refused", f"{PROVIDER} blocked the prompt", retryable=False)
    candidates = data.get("candidates") or []
    candidate = candidates[0] if candidates else {}
    if candidate.get("finishReason") in BLOCKED_FINISH_REASONS:
        raise ProviderError("refused", f"{PROVIDER} blocked the answer ({candidate['finishReason']})", retryable=False)
    parts = (candidate.get("content") or {}).get("parts") or []
    usage = data.get("usageMetadata") or {}
    return StreamChunk(
        text="".join(part.get("text") or "" for part in parts if isinstance(part, dict) and not part.get("thought")),
        input_tokens=usage.get("promptTokenCount"),
        output_tokens=usage.get("candidatesTokenCount"),
        model_version=str(data.get("modelVersion") or ""),
        safety=safety_summary(candidate.get("safetyRatings")) or None,
    )


def embedding_vectors(data: dict, *, expected: int) -> list[list[float]]:
    """The vectors of an embedding response, one per input text, in order."""
    vectors = [
        [float(value) for value in item.get("values") or []]
        for item in data.get("embeddings") or []
        if isinstance(item, dict)
    ]
    if len(vectors) != expected or not all(vectors):
        raise ProviderError(
            "malformed", f"{PROVIDER} answered {len(vectors)} embeddings for {expected} texts", retryable=True
        )
    return vectors
