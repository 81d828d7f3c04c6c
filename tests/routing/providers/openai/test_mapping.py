"""OpenAI mapping on recorded payloads: our request to the Chat Completions body, its answers to ours."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from routing.providers.base import ProviderError
from routing.providers.openai import mapping
from tests.routing.providers.support import recorded, recorded_request


def test_the_body_asks_for_structured_output_against_the_capability_schema():
    request, expected = recorded_request("openai", "chat_request")
    assert mapping.chat_body(request) == expected


def test_a_request_without_prompts_sends_a_json_instruction_and_the_input():
    request, _ = recorded_request("openai", "chat_request")
    messages = mapping.chat_body(replace(request, system_prompt=None, user_prompt=None))["messages"]
    assert "tutor.answer" in messages[0]["content"] and "JSON" in messages[0]["content"]
    assert json.loads(messages[1]["content"]) == request.payload


def test_a_completion_gives_the_parsed_output_tokens_and_model_version():
    response = mapping.chat_response(recorded("openai", "chat_completion"))
    assert response.output == {
        "answer": "Check the booking's late-arrival note, verify the guest's ID and hand over "
        "the key from the night safe.",
        "sources": ["SOP-FO-12"],
    }
    assert (response.input_tokens, response.output_tokens) == (212, 31)
    assert response.model_version == "gpt-4o-mini-2024-07-18"


def test_prose_around_the_json_is_returned_as_text_for_the_router_to_repair():
    response = mapping.chat_response(recorded("openai", "chat_completion_prose"))
    assert isinstance(response.output, str) and response.output.startswith("Here is the answer")


@pytest.mark.parametrize("name", ["chat_completion_refusal", "chat_completion_content_filter"])
def test_a_refusal_or_content_filter_is_refused_and_not_retryable(name):
    with pytest.raises(ProviderError) as caught:
        mapping.chat_response(recorded("openai", name))
    assert (caught.value.kind, caught.value.retryable) == ("refused", False)


def test_a_completion_without_choices_is_malformed():
    with pytest.raises(ProviderError) as caught:
        mapping.chat_response({"id": "chatcmpl-x", "object": "chat.completion", "choices": []})
    assert (caught.value.kind, caught.value.retryable) == ("malformed", True)


def test_a_moderation_result_keeps_the_verdict_categories_and_scores():
    moderation = mapping.moderation_result(recorded("openai", "moderation"))
    assert moderation.flagged is True
    assert moderation.categories["violence"] is True and moderation.categories["hate"] is False
    assert moderation.scores["violence"] == pytest.approx(0.8837)


@pytest.mark.parametrize(
    "capability_id, name", [("tutor.answer", "tutor_answer"), ("upsell.recommend", "upsell_recommend")]
)
def test_schema_names_use_only_the_characters_openai_allows(capability_id, name):
    assert mapping.schema_name(capability_id) == name
