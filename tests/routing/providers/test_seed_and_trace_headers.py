"""The sampling seed of a prompt version reaches the providers that take one, and every provider
call carries the trace context of the span it runs in, through the real SDKs against the fakes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from melmastoon_ai.observability import tracing
from routing.providers.anthropic import mapping as anthropic_mapping
from routing.providers.openai import mapping as openai_mapping
from routing.providers.self_hosted import mapping as self_hosted_mapping
from routing.providers.vertex import mapping as vertex_mapping
from tests.routing.providers.support import make_request
from tests.routing.providers.test_adapters_against_fakes import openai_at, vertex_at

TRACE_ID = "3f1e2d3c4b5a69788796a5b4c3d2e1f0"


@pytest.mark.parametrize(
    "body", [openai_mapping.chat_body, self_hosted_mapping.chat_body, vertex_mapping.generation_config]
)
def test_a_seed_is_sent_where_the_api_takes_one(body):
    assert body(replace(make_request(), seed=42))["seed"] == 42
    assert "seed" not in body(make_request())


def test_anthropic_is_sent_no_seed():
    assert "seed" not in anthropic_mapping.messages_body(replace(make_request(), seed=42))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fake_name", "model", "build", "path"),
    [
        ("openai_fake", "gpt-4o-mini", openai_at, "/chat/completions"),
        ("vertex_fake", "gemini-1.5-flash", vertex_at, ":generateContent"),
    ],
)
def test_the_call_carries_the_seed_and_the_trace(request, fake_name, model, build, path):
    fake = request.getfixturevalue(fake_name)
    adapter = build(fake.base_url)
    with tracing.server_span("test", {"traceparent": f"00-{TRACE_ID}-1111111111111111-01"}):
        with tracing.client_span("provider"):
            adapter.complete(replace(make_request(model=model, timeout=30), seed=7))
    sent = [r for r in fake.received if path in r.path][-1]
    assert sent.headers["traceparent"].split("-")[1] == TRACE_ID
    config = sent.body.get("generationConfig", sent.body)
    assert config["seed"] == 7
