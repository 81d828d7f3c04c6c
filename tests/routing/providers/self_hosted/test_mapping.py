"""Self-hosted (OpenAI-compatible) mapping on recorded payloads: the schema travels in the prompt."""

from __future__ import annotations

from routing.providers.self_hosted import mapping
from tests.routing.providers.support import recorded, recorded_request


def test_the_body_asks_for_a_json_object_and_states_the_schema_in_the_system_message():
    request, expected = recorded_request("self_hosted", "chat_request")
    assert mapping.chat_body(request) == expected


def test_a_vllm_completion_gives_the_parsed_output_and_token_usage():
    response = mapping.chat_response(recorded("self_hosted", "vllm_chat_completion"))
    assert response.output["sources"] == ["SOP-FO-12"]
    assert (response.input_tokens, response.output_tokens, response.model_version) == (256, 42, "phi-3-mini")
