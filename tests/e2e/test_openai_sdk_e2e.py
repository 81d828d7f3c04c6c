"""The OpenAI-compatible surface (/v1/...) with the official `openai` SDK as the client (sync,
async, streaming) over real HTTP (pytest-django's live server), the gateway's own calls going to
the fake OpenAI server through the same SDK: capabilities named as models, the catalog's chat
mapping, usage and provenance, OpenAI-style errors, and the pipeline's guarantees."""

from __future__ import annotations

import asyncio
import json

import openai
import pytest

from capabilities.models import Capability, InferenceRecord
from capabilities.pipeline import circuit_breakers
from capabilities.selectors import CATALOG_CACHE
from hitl.models import HitlGate
from melmastoon_ai.tenancy.context import tenant_context
from routing.models import Model
from tests.factories import ApiKeyFactory, TenantFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
QUESTION = "What time is breakfast served?"


@pytest.fixture
def gateway(live_server, providers_from_settings, catalog, settings):
    """A tenant's key, and the streamable capabilities asking gpt-4o-mini (the fake OpenAI) first."""
    settings.OPENAI_COMPAT_MODEL_ALIASES = {"hotel-tutor": "tutor.answer"}
    gpt = Model.objects.get(name="gpt-4o-mini")
    for capability in Capability.objects.filter(pk__in=["tutor.answer", "message.draft"]):
        capability.fallback_chain = [capability.default_model.name, *capability.fallback_chain]
        capability.default_model = gpt
        capability.save()
    CATALOG_CACHE.invalidate()
    circuit_breakers.cache_clear()
    tenant = TenantFactory(rate_limit_per_minute=10_000, cache_enabled=False)
    key = ApiKeyFactory(tenant=tenant, scopes=["ai:invoke"])
    yield {"tenant": tenant, "key": key.raw, "base_url": f"{live_server.url}/v1"}
    CATALOG_CACHE.invalidate()
    circuit_breakers.cache_clear()


def client(gateway, key=None) -> openai.OpenAI:
    return openai.OpenAI(api_key=key or gateway["key"], base_url=gateway["base_url"], max_retries=0, timeout=30)


def ask_tutor(model="tutor.answer"):
    return {
        "model": model,
        "messages": [{"role": "system", "content": "locale: en"}, {"role": "user", "content": QUESTION}],
    }


def test_a_chat_completion_answers_from_the_capability_with_usage_and_provenance(gateway, openai_fake):
    raw = client(gateway).chat.completions.with_raw_response.create(**ask_tutor())
    completion = raw.parse()
    message = completion.choices[0].message
    assert completion.object == "chat.completion" and completion.model == "tutor.answer"
    assert message.role == "assistant" and message.content and completion.choices[0].finish_reason == "stop"
    assert completion.usage.prompt_tokens > 0 and completion.usage.completion_tokens > 0
    provenance = completion.model_extra["provenance"]
    assert provenance["provider"] == "openai" and provenance["capability"] == "tutor.answer"
    assert raw.headers["X-Inference-Id"] == provenance["inference_id"]
    with tenant_context(gateway["tenant"].id):
        record = InferenceRecord.objects.get(pk=provenance["inference_id"])
    assert record.input_redacted["question"] == QUESTION and record.output["answer"] == message.content
    sent = openai_fake.received[-1].body
    assert sent["model"] == "gpt-4o-mini" and QUESTION in json.dumps(sent)


def test_an_operator_alias_names_the_capability_and_json_format_returns_the_whole_output(gateway, openai_fake):
    completion = client(gateway).chat.completions.create(
        **ask_tutor("hotel-tutor"), response_format={"type": "json_object"}
    )
    output = json.loads(completion.choices[0].message.content)
    assert set(output) >= {"answer", "sources", "confidence", "locale"}
    assert completion.model == "hotel-tutor"


def test_streaming_gives_openai_chunks_ending_in_done_with_usage(gateway, openai_fake):
    chunks = list(client(gateway).chat.completions.create(**ask_tutor(), stream=True))
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    assert len({chunk.id for chunk in chunks}) == 1 and len(chunks) >= 4
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop" and last.usage.completion_tokens > 0
    provenance = last.model_extra["provenance"]
    with tenant_context(gateway["tenant"].id):
        assert InferenceRecord.objects.get(pk=provenance["inference_id"]).output["answer"] == text
    assert openai_fake.received[-1].body["stream"] is True


def test_a_provider_breaking_off_mid_stream_raises_in_the_sdk_never_a_clean_end(gateway, openai_fake):
    openai_fake.script(times=2, truncated=True)  # provider moderation's call, then the chat stream
    stream = client(gateway).chat.completions.create(**ask_tutor(), stream=True)
    with pytest.raises(openai.APIError) as raised:
        list(stream)
    assert raised.value.code == "stream_interrupted"
    with tenant_context(gateway["tenant"].id):
        assert InferenceRecord.objects.count() == 0


def test_the_async_client_answers_and_streams(gateway, openai_fake):
    async def run():
        async with openai.AsyncOpenAI(api_key=gateway["key"], base_url=gateway["base_url"], max_retries=0) as sdk:
            completion = await sdk.chat.completions.create(**ask_tutor())
            stream = await sdk.chat.completions.create(**ask_tutor(), stream=True)
            text = "".join([chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices])
            return completion, text

    completion, streamed = asyncio.run(run())
    assert completion.choices[0].message.content and streamed


def test_a_gated_capability_answers_a_draft_with_its_hitl_gate(gateway, openai_fake):
    draft = Capability.objects.get(pk="message.draft").examples[0]
    completion = client(gateway).chat.completions.create(
        model="message.draft", messages=[{"role": "user", "content": json.dumps(draft)}]
    )
    provenance = completion.model_extra["provenance"]
    assert provenance["hitl"]["status"] == "pending" and completion.choices[0].message.content
    with tenant_context(gateway["tenant"].id):
        assert HitlGate.objects.filter(inference_id=provenance["inference_id"]).exists()


def test_models_lists_the_chat_capabilities_the_embeddings_and_the_aliases(gateway):
    sdk = client(gateway)
    names = {model.id for model in sdk.models.list()}
    assert {"tutor.answer", "message.draft", "translation.draft", "embeddings", "hotel-tutor"} <= names
    assert "pricing.suggest" not in names
    assert sdk.models.retrieve("tutor.answer").owned_by == "melmastoon-ai"


def test_embeddings_answer_in_the_sdks_default_base64_and_as_floats(gateway):
    sdk = client(gateway)
    default = sdk.embeddings.create(model="embeddings", input=["Late check-out", "Airport shuttle"])
    floats = sdk.embeddings.create(model="embeddings", input="Late check-out", encoding_format="float")
    assert len(default.data) == 2 and len(default.data[0].embedding) == len(floats.data[0].embedding) > 0
    assert default.data[0].embedding == pytest.approx(floats.data[0].embedding, abs=1e-5)
    assert default.usage.prompt_tokens > 0


def test_errors_are_openai_error_bodies_with_the_right_status(gateway):
    sdk = client(gateway)
    with pytest.raises(openai.NotFoundError) as unknown:
        sdk.chat.completions.create(model="gpt-5-ultra", messages=[{"role": "user", "content": "hi"}])
    assert unknown.value.code == "model_not_found" and unknown.value.body["type"] == "invalid_request_error"
    with pytest.raises(openai.BadRequestError) as not_chat:
        sdk.chat.completions.create(model="pricing.suggest", messages=[{"role": "user", "content": "hi"}])
    assert not_chat.value.code == "model_not_chat_compatible"
    with pytest.raises(openai.BadRequestError) as no_user:
        sdk.chat.completions.create(model="tutor.answer", messages=[{"role": "system", "content": "locale: en"}])
    assert no_user.value.code == "invalid_request" and no_user.value.param == "messages"
    with pytest.raises(openai.UnprocessableEntityError) as schema:
        sdk.chat.completions.create(model="message.draft", messages=[{"role": "user", "content": "{}"}])
    assert schema.value.code == "input_schema_violation"
    with pytest.raises(openai.AuthenticationError) as unauthenticated:
        client(gateway, key="mlm_not-a-real-key").models.list()
    assert unauthenticated.value.body["type"] == "authentication_error"


def test_a_key_without_invoke_scope_is_refused(gateway):
    reviewer = ApiKeyFactory(tenant=gateway["tenant"], scopes=["ai:review"])
    with pytest.raises(openai.PermissionDeniedError):
        client(gateway, key=reviewer.raw).chat.completions.create(**ask_tutor())


def test_idempotency_and_tenancy_hold_on_the_openai_surface(gateway, openai_fake):
    sdk = client(gateway)
    first = sdk.chat.completions.create(**ask_tutor(), extra_headers={"Idempotency-Key": "sdk-1"})
    calls = len(openai_fake.received)
    again = sdk.chat.completions.with_raw_response.create(**ask_tutor(), extra_headers={"Idempotency-Key": "sdk-1"})
    assert again.headers["Idempotent-Replayed"] == "true" and len(openai_fake.received) == calls
    assert again.parse().model_extra["provenance"]["inference_id"] == first.model_extra["provenance"]["inference_id"]
    other = TenantFactory()
    with tenant_context(other.id):  # RLS: another tenant's context sees no row of this one
        assert not InferenceRecord.objects.filter(pk=first.model_extra["provenance"]["inference_id"]).exists()
