"""Every adapter through its REAL SDK against the fake provider servers: answers, failures, wire requests.

Each target is an adapter built with an explicit configuration whose base URL is a fake on
127.0.0.1; the `loopback_only` fixture (autouse in conftest) fails any test that connects anywhere else.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from capabilities.fallbacks import FallbackContext, run_fallback
from routing.fakes.answers import SCHEMA_INVALID_OUTPUT
from routing.fakes.server import FakeProviderServer
from routing.providers.anthropic import AnthropicAdapter, AnthropicConfig
from routing.providers.base import ProviderAdapter, ProviderError
from routing.providers.common import CAPABILITY_HEADER
from routing.providers.openai import OpenAIAdapter, OpenAIConfig
from routing.providers.self_hosted import SelfHostedAdapter, SelfHostedConfig
from routing.services import deployment_register
from tests.routing.providers.support import (
    FAKE_ANTHROPIC_KEY,
    FAKE_OPENAI_KEY,
    FAKE_PROJECT,
    FAKE_VERTEX_TOKEN,
    make_request,
)

pytestmark = pytest.mark.django_db  # self-hosted endpoints come from the deployment registry
HANG_TIMEOUT = 0.5


def openai_at(base_url: str) -> ProviderAdapter:
    return OpenAIAdapter(OpenAIConfig(api_key=FAKE_OPENAI_KEY, base_url=f"{base_url}/v1"))


def anthropic_at(base_url: str) -> ProviderAdapter:
    return AnthropicAdapter(AnthropicConfig(api_key=FAKE_ANTHROPIC_KEY, base_url=base_url))


def claude_on_vertex_at(base_url: str) -> ProviderAdapter:
    return AnthropicAdapter(
        AnthropicConfig(
            vertex=True, vertex_project=FAKE_PROJECT, vertex_base_url=base_url, vertex_access_token=FAKE_VERTEX_TOKEN
        )
    )


def vertex_at(base_url: str) -> ProviderAdapter:
    from routing.providers.vertex import VertexAdapter, VertexConfig

    return VertexAdapter(VertexConfig(project=FAKE_PROJECT, base_url=base_url, access_token=FAKE_VERTEX_TOKEN))


def self_hosted_at(base_url: str) -> ProviderAdapter:
    deployment_register(model_name="phi-3-mini", endpoint_url=f"{base_url}/v1", environment="development")
    return SelfHostedAdapter(SelfHostedConfig(environment="development", allowed_hosts=("127.0.0.1",)))


# name -> (fake fixture, catalog model, adapter factory)
TARGETS: dict[str, tuple[str, str, Callable[[str], ProviderAdapter]]] = {
    "openai": ("openai_fake", "gpt-4o-mini", openai_at),
    "anthropic": ("anthropic_fake", "claude-3-5-sonnet", anthropic_at),
    "anthropic_on_vertex": ("vertex_fake", "claude-3-5-sonnet", claude_on_vertex_at),
    "vertex": ("vertex_fake", "gemini-1.5-flash", vertex_at),
    "self_hosted": ("openai_fake", "phi-3-mini", self_hosted_at),
}


@dataclass
class Target:
    name: str
    adapter: ProviderAdapter
    fake: FakeProviderServer
    model: str


@pytest.fixture(params=list(TARGETS))
def target(request) -> Target:
    fake_fixture, model, build = TARGETS[request.param]
    fake = request.getfixturevalue(fake_fixture)
    return Target(request.param, build(fake.base_url), fake, model)


def dead_base_url() -> str:
    """A loopback port nobody listens on: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def assert_schema_valid(capability_id: str, output: object) -> None:
    schema = make_request(capability_id).output_schema
    errors = list(Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(output))
    assert not errors, errors[0].message


# --- answers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("capability_id", ["pricing.suggest", "message.draft", "upsell.recommend"])
def test_an_answer_is_json_valid_against_the_output_schema_with_token_usage(target, capability_id):
    request = make_request(capability_id, model=target.model)
    response = target.adapter.complete(request)
    assert_schema_valid(capability_id, response.output)
    assert response.output == run_fallback(capability_id, request.payload, FallbackContext())  # from our input
    assert response.input_tokens > 0 and response.output_tokens > 0
    assert response.model_version.endswith("-fake")  # read from the response, not echoed from the request
    assert len(target.fake.received) == 1


def test_a_schema_invalid_output_is_returned_as_is_for_the_router_to_judge(target):
    target.fake.script(schema_invalid=True)
    response = target.adapter.complete(make_request(model=target.model))
    assert response.output == SCHEMA_INVALID_OUTPUT


# --- failures -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "behaviour, kind, retryable",
    [
        ({"status": 429}, "rate_limited", True),
        ({"status": 500}, "server", True),
        ({"status": 503}, "overloaded", True),
        ({"status": 529}, "overloaded", True),
        ({"status": 401}, "auth", False),
        ({"status": 403}, "auth", False),
        ({"status": 400}, "bad_request", False),
        ({"status": 404}, "bad_request", False),
        ({"malformed_json": True}, "malformed", True),
        ({"truncated": True}, "malformed", True),
        ({"refusal": True}, "refused", False),
    ],
    ids=lambda value: "-".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else None,
)
def test_each_failure_is_one_normalised_provider_error(target, behaviour, kind, retryable):
    target.fake.script(**behaviour)
    with pytest.raises(ProviderError) as caught:
        target.adapter.complete(make_request(model=target.model))
    assert (caught.value.kind, caught.value.retryable) == (kind, retryable)
    assert len(target.fake.received) == 1  # SDK retries are off


def test_a_hanging_provider_times_out_within_the_request_timeout(target):
    target.fake.script(hang=True)
    started = time.perf_counter()
    with pytest.raises(ProviderError) as caught:
        target.adapter.complete(make_request(model=target.model, timeout=HANG_TIMEOUT))
    elapsed = time.perf_counter() - started
    assert (caught.value.kind, caught.value.retryable) == ("timeout", True)
    assert HANG_TIMEOUT * 0.9 <= elapsed < HANG_TIMEOUT + 0.5


@pytest.mark.parametrize("name", list(TARGETS))
def test_a_refused_connection_is_unavailable(name):
    _, model, build = TARGETS[name]
    with pytest.raises(ProviderError) as caught:
        build(dead_base_url()).complete(make_request(model=model))
    assert (caught.value.kind, caught.value.retryable) == ("unavailable", True)


def test_an_error_message_never_carries_the_input(target):
    target.fake.script(status=400)
    request = make_request("message.draft", model=target.model)
    with pytest.raises(ProviderError) as caught:
        target.adapter.complete(request)
    assert request.payload["guest_name"] not in str(caught.value)


# --- what goes over the wire --------------------------------------------------------------------


def test_openai_is_sent_the_model_key_and_a_json_schema_response_format(openai_fake):
    openai_at(openai_fake.base_url).complete(make_request(model="gpt-4o-mini"))
    (sent,) = openai_fake.received
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {FAKE_OPENAI_KEY}"
    assert sent.headers[CAPABILITY_HEADER.lower()] == "pricing.suggest"
    assert sent.body["model"] == "gpt-4o-mini"
    response_format = sent.body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["schema"]["title"] == "PricingSuggestion"
    assert "$schema" not in response_format["json_schema"]["schema"]


def test_anthropic_is_sent_the_key_and_one_forced_tool(anthropic_fake):
    anthropic_at(anthropic_fake.base_url).complete(make_request(model="claude-3-5-sonnet"))
    (sent,) = anthropic_fake.received
    assert sent.path == "/v1/messages"
    assert sent.headers.get("x-api-key") == FAKE_ANTHROPIC_KEY or (
        sent.headers.get("authorization") == f"Bearer {FAKE_ANTHROPIC_KEY}"
    )
    assert "anthropic-version" in sent.headers
    assert sent.body["model"] == "claude-3-5-sonnet-20241022"
    assert sent.body["tool_choice"] == {"type": "tool", "name": "pricing_suggest"}
    assert [tool["input_schema"]["title"] for tool in sent.body["tools"]] == ["PricingSuggestion"]


def test_claude_on_vertex_goes_to_the_tenant_region_partner_path_with_the_token(vertex_fake):
    claude_on_vertex_at(vertex_fake.base_url).complete(make_request(model="claude-3-5-sonnet", region="europe-west4"))
    (sent,) = vertex_fake.received
    assert sent.path == (
        f"/v1/projects/{FAKE_PROJECT}/locations/europe-west4/publishers/anthropic/models/"
        "claude-3-5-sonnet-v2@20241022:rawPredict"
    )
    assert sent.headers["authorization"] == f"Bearer {FAKE_VERTEX_TOKEN}"
    assert "anthropic_version" in sent.body and "model" not in sent.body  # the model is in the path


def test_gemini_is_sent_json_output_settings_in_the_default_region_with_the_token(vertex_fake):
    vertex_at(vertex_fake.base_url).complete(make_request(model="gemini-1.5-flash", region=""))
    (sent,) = vertex_fake.received
    assert sent.path.endswith(
        f"/projects/{FAKE_PROJECT}/locations/europe-west1/publishers/google/models/gemini-1.5-flash:generateContent"
    )
    assert sent.headers["authorization"] == f"Bearer {FAKE_VERTEX_TOKEN}"
    config = sent.body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"]["title"] == "PricingSuggestion"
    assert "pricing.suggest" in sent.body["systemInstruction"]["parts"][0]["text"]


def test_gemini_follows_the_tenant_region(vertex_fake):
    vertex_at(vertex_fake.base_url).complete(make_request(model="gemini-1.5-flash", region="europe-west4"))
    assert "/locations/europe-west4/" in vertex_fake.received[0].path


def test_self_hosted_is_sent_a_json_object_request_to_its_registered_endpoint(openai_fake):
    self_hosted_at(openai_fake.base_url).complete(make_request(model="phi-3-mini"))
    (sent,) = openai_fake.received
    assert (sent.path, sent.body["model"]) == ("/v1/chat/completions", "phi-3-mini")
    assert sent.body["response_format"] == {"type": "json_object"}
    assert "JSON Schema" in sent.body["messages"][0]["content"]


# --- embeddings and moderation ------------------------------------------------------------------


def test_vertex_embeds_texts_with_text_embedding_004_in_768_dimensions(vertex_fake):
    adapter = vertex_at(vertex_fake.base_url)
    vectors = adapter.embed(["sea view room", "late checkout"])
    assert [len(vector) for vector in vectors] == [768, 768]
    assert adapter.embed(["sea view room"]) == vectors[:1]  # deterministic
    assert vertex_fake.received[0].path.endswith("/publishers/google/models/text-embedding-004:predict")
    assert adapter.embed([]) == []


def test_openai_moderation_flags_harmful_text_only(openai_fake):
    adapter = openai_at(openai_fake.base_url)
    harmful, benign = adapter.moderate("I will kill the night manager"), adapter.moderate("Is breakfast included?")
    assert harmful.flagged and harmful.categories["violence"] and harmful.scores["violence"] > 0.5
    assert not benign.flagged
    assert openai_fake.received[0].path == "/v1/moderations"
