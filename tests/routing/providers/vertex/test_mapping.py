"""Vertex AI Gemini mapping on recorded payloads: JSON output, usage, safety ratings and blocks."""

from __future__ import annotations

import pytest

from routing.providers.base import ProviderError
from routing.providers.vertex import mapping
from tests.routing.providers.support import recorded, recorded_request


def test_the_config_asks_for_json_against_the_raw_json_schema():
    request, expected = recorded_request("vertex", "generate_request")
    assert mapping.generation_config(request) == expected


def test_a_candidate_gives_the_parsed_output_usage_version_and_safety_ratings():
    response = mapping.generate_content_response(recorded("vertex", "generate_content"))
    assert response.output["sources"] == ["SOP-FO-12"]
    assert (response.input_tokens, response.output_tokens) == (201, 33)
    assert response.model_version == "gemini-1.5-flash-002"
    assert response.safety["ratings"]["HARM_CATEGORY_HATE_SPEECH"] == "NEGLIGIBLE"
    assert response.safety["blocked"] == []


@pytest.mark.parametrize("name", ["generate_content_prompt_blocked", "generate_content_safety_stop"])
def test_a_blocked_prompt_or_answer_is_refused_and_not_retryable(name):
    with pytest.raises(ProviderError) as caught:
        mapping.generate_content_response(recorded("vertex", name))
    assert (caught.value.kind, caught.value.retryable) == ("refused", False)


def test_no_candidate_without_a_block_reason_is_malformed():
    with pytest.raises(ProviderError) as caught:
        mapping.generate_content_response({"usageMetadata": {"promptTokenCount": 3}})
    assert (caught.value.kind, caught.value.retryable) == ("malformed", True)


def test_thought_parts_are_not_part_of_the_answer():
    data = recorded("vertex", "generate_content")
    parts = data["candidates"][0]["content"]["parts"]
    data["candidates"][0]["content"]["parts"] = [{"text": "thinking about SOPs", "thought": True}, *parts]
    assert mapping.generate_content_response(data).output["sources"] == ["SOP-FO-12"]


def test_embeddings_come_back_in_order_and_a_missing_one_is_malformed():
    data = recorded("vertex", "embed_content")
    assert mapping.embedding_vectors(data, expected=2) == [[0.0123, -0.0456, 0.0789], [-0.0321, 0.0654, -0.0987]]
    with pytest.raises(ProviderError, match="2 embeddings for 3 texts"):
        mapping.embedding_vectors(data, expected=3)
