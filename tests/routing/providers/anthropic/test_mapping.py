"""Anthropic mapping on recorded payloads: one forced tool carries the JSON output."""

from __future__ import annotations

import pytest

from routing.providers.anthropic import mapping
from routing.providers.base import ProviderError
from tests.routing.providers.support import recorded, recorded_request


def test_the_body_forces_one_tool_whose_input_schema_is_the_output_schema():
    request, expected = recorded_request("anthropic", "messages_request")
    assert mapping.messages_body(request) == expected


def test_on_vertex_the_catalog_model_maps_to_the_vertex_model_id():
    request, _ = recorded_request("anthropic", "messages_request")
    assert mapping.messages_body(request, vertex=True)["model"] == "claude-3-5-sonnet-v2@20241022"
    assert mapping.model_id("claude-sonnet-4-5", vertex=False) == "claude-sonnet-4-5"


def test_the_tool_input_is_the_output_with_token_usage():
    response = mapping.messages_response(recorded("anthropic", "messages_tool_use"), capability_id="tutor.answer")
    assert response.output["sources"] == ["SOP-FO-12"]
    assert (response.input_tokens, response.output_tokens) == (472, 89)
    assert response.model_version == "claude-3-5-sonnet-20241022"


def test_a_text_answer_is_returned_as_text_for_the_router_to_repair():
    response = mapping.messages_response(recorded("anthropic", "messages_text"), capability_id="tutor.answer")
    assert isinstance(response.output, str) and response.output.startswith("```json")


def test_a_refusal_is_refused_and_not_retryable():
    with pytest.raises(ProviderError) as caught:
        mapping.messages_response(recorded("anthropic", "messages_refusal"), capability_id="tutor.answer")
    assert (caught.value.kind, caught.value.retryable) == ("refused", False)


def test_an_answer_with_neither_tool_call_nor_text_is_malformed():
    data = recorded("anthropic", "messages_tool_use") | {"content": [], "stop_reason": "max_tokens"}
    with pytest.raises(ProviderError) as caught:
        mapping.messages_response(data, capability_id="tutor.answer")
    assert caught.value.kind == "malformed"
