"""The pure mappings of streamed chunks, on payloads in each provider's documented wire format."""

from __future__ import annotations

import pytest

from routing.providers.anthropic.mapping import stream_event
from routing.providers.base import ProviderError
from routing.providers.common import chat_completion_chunk
from routing.providers.vertex.mapping import stream_chunk


def test_an_openai_chunk_gives_its_content_and_the_usage_chunk_its_tokens():
    chunk = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "delta": {"content": '{"an'}, "finish_reason": None}],
    }
    assert chat_completion_chunk(chunk, provider="openai").text == '{"an'
    usage = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "choices": [],
        "usage": {"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42},
    }
    mapped = chat_completion_chunk(usage, provider="openai")
    assert (mapped.text, mapped.input_tokens, mapped.output_tokens) == ("", 12, 30)


@pytest.mark.parametrize(
    "choice",
    [
        {"index": 0, "delta": {"refusal": "I can't"}, "finish_reason": None},
        {"index": 0, "delta": {}, "finish_reason": "content_filter"},
    ],
)
def test_an_openai_refusal_or_content_filter_mid_stream_is_refused(choice):
    with pytest.raises(ProviderError) as refused:
        chat_completion_chunk({"choices": [choice]}, provider="openai")
    assert refused.value.kind == "refused"


def test_a_gemini_stream_response_gives_its_text_and_on_the_last_one_usage_and_safety():
    middle = {
        "candidates": [{"content": {"role": "model", "parts": [{"text": "ast is "}]}}],
        "modelVersion": "gemini-1.5-flash-002",
    }
    assert stream_chunk(middle).text == "ast is " and stream_chunk(middle).output_tokens is None
    last = {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": '"}'}]},
                "finishReason": "STOP",
                "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"}],
            }
        ],
        "usageMetadata": {"promptTokenCount": 20, "candidatesTokenCount": 44, "totalTokenCount": 64},
    }
    mapped = stream_chunk(last)
    assert (mapped.input_tokens, mapped.output_tokens) == (20, 44)
    assert mapped.safety == {"ratings": {"HARM_CATEGORY_HARASSMENT": "NEGLIGIBLE"}, "blocked": []}


def test_a_gemini_safety_stop_mid_stream_is_refused():
    with pytest.raises(ProviderError) as refused:
        stream_chunk({"candidates": [{"finishReason": "SAFETY"}]})
    assert refused.value.kind == "refused"


def test_anthropic_events_give_the_tool_input_json_and_the_usage():
    start = stream_event(
        {
            "type": "message_start",
            "message": {"model": "claude-3-5-sonnet-20241022", "usage": {"input_tokens": 25, "output_tokens": 1}},
        }
    )
    assert (start.input_tokens, start.model_version) == (25, "claude-3-5-sonnet-20241022")
    delta = stream_event(
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": '{"answer": "Br'},
        }
    )
    assert delta.text == '{"answer": "Br'
    end = stream_event({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 90}})
    assert end.output_tokens == 90 and stream_event({"type": "ping"}).text == ""
    with pytest.raises(ProviderError):
        stream_event({"type": "message_delta", "delta": {"stop_reason": "refusal"}, "usage": {"output_tokens": 3}})
