"""How adapters are configured: the registry builds them from Django settings, once per process.

Tests point the settings at the fake servers and clear `adapter_for`'s cache around the change.
"""

from __future__ import annotations

import pytest

from routing.providers.base import ProviderError
from routing.providers.registry import adapter_for, adapters
from routing.providers.self_hosted import SelfHostedAdapter, SelfHostedConfig
from routing.services import deployment_register, deployment_set_status
from tests.routing.providers.support import FAKE_ANTHROPIC_KEY, make_request

pytestmark = pytest.mark.django_db
CLOUD_KINDS = ("vertex", "anthropic", "openai")
MODELS = {"vertex": "gemini-1.5-flash", "anthropic": "claude-3-5-sonnet", "openai": "gpt-4o-mini"}


@pytest.fixture
def no_provider_settings(settings):
    for name in (
        "VERTEX_PROJECT",
        "VERTEX_BASE_URL",
        "VERTEX_ACCESS_TOKEN",
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_BASE_URL",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
    ):
        setattr(settings, name, None)
    settings.VERTEX_ANTHROPIC = False
    adapter_for.cache_clear()
    yield settings
    adapter_for.cache_clear()


def test_every_provider_kind_of_the_catalog_has_an_adapter():
    assert {"vertex", "anthropic", "openai", "self_hosted", "deterministic"} <= set(adapters())


@pytest.mark.parametrize("kind", CLOUD_KINDS)
def test_without_credentials_a_cloud_provider_is_not_configured(no_provider_settings, kind):
    adapter = adapter_for(kind)
    assert adapter.kind == kind and not adapter.is_configured()
    with pytest.raises(ProviderError) as caught:
        adapter.complete(make_request(model=MODELS[kind]))
    assert (caught.value.kind, caught.value.retryable) == ("auth", False)


@pytest.mark.parametrize("kind", CLOUD_KINDS)
def test_adapters_built_from_settings_answer_through_the_fakes(providers_from_settings, kind, request):
    fake = request.getfixturevalue(
        {"vertex": "vertex_fake", "anthropic": "anthropic_fake", "openai": "openai_fake"}[kind]
    )
    adapter = adapter_for(kind)
    assert adapter.is_configured()
    response = adapter.complete(make_request("tutor.answer", model=MODELS[kind]))
    assert {"answer", "sources"} <= set(response.output)
    assert len(fake.received) == 1


def test_the_registry_keeps_one_adapter_until_its_cache_is_cleared(providers_from_settings):
    first = adapter_for("openai")
    assert adapter_for("openai") is first
    providers_from_settings.OPENAI_API_KEY = None
    assert adapter_for("openai").is_configured()  # settings are read when the adapter is built
    adapter_for.cache_clear()
    assert not adapter_for("openai").is_configured()


def test_the_vertex_anthropic_flag_sends_claude_through_vertex(providers_from_settings, vertex_fake, anthropic_fake):
    providers_from_settings.VERTEX_ANTHROPIC = True
    providers_from_settings.ANTHROPIC_API_KEY = None  # Vertex credentials are enough
    adapter_for.cache_clear()
    adapter = adapter_for("anthropic")
    assert adapter.is_configured()
    adapter.complete(make_request(model="claude-3-5-sonnet"))
    assert anthropic_fake.received == []
    assert vertex_fake.received[0].path.endswith(":rawPredict")
    assert "/locations/europe-west1/" in vertex_fake.received[0].path


def test_the_direct_anthropic_key_is_not_enough_for_claude_on_vertex(providers_from_settings):
    providers_from_settings.VERTEX_ANTHROPIC = True
    providers_from_settings.VERTEX_PROJECT = None
    providers_from_settings.ANTHROPIC_API_KEY = FAKE_ANTHROPIC_KEY
    adapter_for.cache_clear()
    assert not adapter_for("anthropic").is_configured()


# --- self-hosted: configured per model by the deployment registry --------------------------------


def test_a_self_hosted_model_is_configured_only_with_a_ready_deployment(
    openai_fake, django_capture_on_commit_callbacks
):
    adapter = SelfHostedAdapter(SelfHostedConfig(environment="staging"))
    assert not adapter.is_configured("phi-3-mini") and not adapter.is_configured()
    with django_capture_on_commit_callbacks(execute=True):
        deployment_register(model_name="phi-3-mini", endpoint_url=f"{openai_fake.base_url}/v1", environment="staging")
    assert adapter.is_configured("phi-3-mini") and adapter.is_configured()
    assert not SelfHostedAdapter(SelfHostedConfig(environment="production")).is_configured("phi-3-mini")
    with django_capture_on_commit_callbacks(execute=True):
        deployment_set_status(model_name="phi-3-mini", environment="staging", status="disabled")
    assert not adapter.is_configured("phi-3-mini")


def test_a_self_hosted_model_without_a_deployment_fails_without_a_retry():
    adapter = SelfHostedAdapter(SelfHostedConfig(environment="development"))
    with pytest.raises(ProviderError) as caught:
        adapter.complete(make_request(model="phi-3-mini"))
    assert (caught.value.kind, caught.value.retryable) == ("unavailable", False)


def test_the_self_hosted_environment_comes_from_settings(settings):
    settings.DEPLOYMENT_ENVIRONMENT = "staging"
    assert SelfHostedAdapter.from_settings().config.environment == "staging"
    settings.DEPLOYMENT_ENVIRONMENT = None
    assert SelfHostedAdapter.from_settings().config.environment == "development"
