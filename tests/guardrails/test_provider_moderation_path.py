"""Provider moderation is an outbound call like any other (issue 15, item 1): it sees the redacted
input only, and only where the tenant's residency and the catalog let the provider see the tenant's
text. Through the real OpenAI SDK against the project's fake server."""

from __future__ import annotations

import json

import pytest

from melmastoon_ai.tenancy.models import Tenant
from routing.models import Provider
from routing.selectors import REGISTRY_CACHE

pytestmark = pytest.mark.django_db
CARD, EMAIL = "4111 1111 1111 1111", "amina.rahimi@example.com"
QUESTION = {
    "capability": "tutor.answer",
    "context": {"feature": "tutor", "locale": "en"},
    "input": {"question": f"My card {CARD} was charged twice, write to {EMAIL}: how do refunds work?", "locale": "en"},
}


@pytest.fixture
def ready(providers_from_settings, catalog, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(rate_limit_per_minute=100_000, country="AF")
    return providers_from_settings


def _moderation_inputs(openai_fake) -> list[str]:
    return [
        json.dumps(request.body, ensure_ascii=False)
        for request in openai_fake.received
        if request.path == "/v1/moderations"
    ]


def test_provider_moderation_sees_the_redacted_input_only(client_a, ready, openai_fake, vertex_fake):
    response = client_a.post("/api/v1/ai/complete", QUESTION, format="json")
    assert response.status_code == 200, response.content[:300]
    sent = _moderation_inputs(openai_fake)
    assert len(sent) == 1
    assert "<CARD_1>" in sent[0] and "<EMAIL_1>" in sent[0]
    assert CARD not in sent[0] and CARD.replace(" ", "") not in sent[0] and EMAIL not in sent[0]


def test_provider_moderation_is_skipped_when_the_catalog_disables_the_provider(client_a, ready, openai_fake):
    """The router skips a provider the operator disabled; its moderation endpoint is skipped too."""
    Provider.objects.filter(kind="openai").update(enabled=False)
    REGISTRY_CACHE.invalidate()
    assert client_a.post("/api/v1/ai/complete", QUESTION, format="json").status_code == 200
    assert _moderation_inputs(openai_fake) == []


def test_provider_moderation_follows_the_endpoint_called_for_eu_only_tenants(client_a, tenant_a, ready, openai_fake):
    """OpenAI's API processes in the US (routing.residency): an EU-only tenant's text never goes to
    its moderation endpoint, whatever regions the catalog row claims."""
    Tenant.objects.filter(pk=tenant_a.pk).update(data_residency=Tenant.Residency.EU_ONLY)
    Provider.objects.filter(kind="openai").update(data_regions=["europe-west4"])
    REGISTRY_CACHE.invalidate()
    assert client_a.post("/api/v1/ai/complete", QUESTION, format="json").status_code == 200
    assert _moderation_inputs(openai_fake) == []
    Tenant.objects.filter(pk=tenant_a.pk).update(data_residency=Tenant.Residency.ANY)
    from melmastoon_ai.tenancy.selectors import CREDENTIAL_CACHE

    CREDENTIAL_CACHE.invalidate()
    assert client_a.post("/api/v1/ai/complete", QUESTION, format="json").status_code == 200
    assert len(_moderation_inputs(openai_fake)) == 1
