"""Guardrails on the whole request path, with the real SDKs and the fake providers: personal data
in the input reaches no provider, no log record and no stored row; a harmful input is refused
(422 content_blocked), recorded, and never sent to a model."""

from __future__ import annotations

import json
import logging

import pytest
from django.db import connection

import guardrails
from capabilities.models import ModerationBlock
from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.tenancy.models import Tenant
from routing.providers.registry import adapter_for

pytestmark = pytest.mark.django_db
PII = ["amina.rahimi@example.com", "+93 70 123 4567", "4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00"]
TENANT_TABLES = [
    "capabilities_inferencerecord",
    "ai_calls_fact",
    "outbox_outboxevent",
    "routing_routingdecision",
    "capabilities_idempotencyrecord",
    "capabilities_moderationblock",
]


@pytest.fixture
def ready(providers_from_settings, catalog, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(rate_limit_per_minute=100_000, country="AF")
    return providers_from_settings


def _rows_as_text(tenant) -> str:
    with tenant_context(tenant.id), connection.cursor() as cursor:
        dumps = []
        for table in TENANT_TABLES:
            cursor.execute(f"SELECT row_to_json(t)::text FROM {table} t")
            dumps += [row[0] for row in cursor.fetchall()]
    return "\n".join(dumps)


def test_personal_data_reaches_no_provider_log_or_row(client_a, tenant_a, ready, vertex_fake, caplog):
    review = f"Great stay! Contact me at {PII[0]} or {PII[1]}. I paid with {PII[2]}; refund to {PII[3]} please."
    body = {
        "capability": "review.summarize",
        "context": {"feature": "reviews", "locale": "en"},
        "input": {
            "locale": "en",
            "hotel_name": "Hotel Alborz",
            "reviews": [{"review_id": "r1", "rating": 4, "text": review}],
        },
    }
    with caplog.at_level(logging.DEBUG):
        response = client_a.post("/api/v1/ai/complete", body, format="json", HTTP_IDEMPOTENCY_KEY="pii-check")
    assert response.status_code == 200, response.content[:300]
    provenance = response.json()["provenance"]
    assert provenance["provider"] == "vertex"
    assert provenance["safety"]["pii_redactions"] == 4
    sent = json.dumps([request.body for request in vertex_fake.received], ensure_ascii=False)
    assert "<EMAIL_1>" in sent  # the model saw the structure, not the values
    stored = _rows_as_text(tenant_a)
    logged = "\n".join(record.getMessage() + json.dumps(record.__dict__, default=str) for record in caplog.records)
    for value in PII:
        digits = "".join(ch for ch in value if ch.isalnum())
        for haystack, where in ((sent, "provider request"), (stored, "stored rows"), (logged, "logs")):
            assert value not in haystack, f"{value!r} reached the {where}"
            assert digits not in haystack.replace(" ", ""), f"{value!r} (compacted) reached the {where}"


def test_harmful_input_is_blocked_recorded_and_never_sent(client_a, tenant_a, ready, vertex_fake):
    body = {
        "capability": "tutor.answer",
        "context": {"feature": "tutor"},
        "input": {"question": "I am going to kill the night manager tonight", "locale": "en"},
    }
    response = client_a.post("/api/v1/ai/complete", body, format="json")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "content_blocked" and "harm_high" in error["details"]["categories"]
    assert vertex_fake.received == []
    with tenant_context(tenant_a.id):
        block = ModerationBlock.objects.get()
    assert block.capability == "tutor.answer" and "harm_high" in block.categories
    assert "night manager" not in json.dumps(block.categories)


def test_hotel_idioms_are_not_blocked_by_the_local_moderator(client_a, ready):
    ready.OPENAI_API_KEY = None  # the fake's moderation is a keyword list; judge the local one alone
    adapter_for.cache_clear()
    body = {
        "capability": "tutor.answer",
        "context": {"feature": "tutor"},
        "input": {"question": "How do I kill the lights in the pool area after 22:00?", "locale": "en"},
    }
    assert client_a.post("/api/v1/ai/complete", body, format="json").status_code == 200


def test_provider_moderation_is_combined_with_the_local_verdict(client_a, ready, openai_fake, vertex_fake):
    # A text the local moderators let through and the fake's keyword list flags ("attack"), so the
    # block can only come from the provider's verdict. (A real threat is blocked locally first and
    # never costs the outbound call.)
    question = "The plan is to attack the buffet at dawn"
    assert guardrails.screen_input({"question": question}, locale="en").verdict == "allow"
    body = {
        "capability": "tutor.answer",
        "context": {"feature": "tutor"},
        "input": {"question": question, "locale": "en"},
    }
    response = client_a.post("/api/v1/ai/complete", body, format="json")
    assert response.status_code == 422
    assert [request.path for request in openai_fake.received] == ["/v1/moderations"]
    assert vertex_fake.received == []


def test_provider_moderation_respects_residency(client_a, tenant_a, ready, openai_fake):
    Tenant.objects.filter(pk=tenant_a.pk).update(data_residency=Tenant.Residency.EU_ONLY)
    body = {
        "capability": "tutor.answer",
        "context": {"feature": "tutor"},
        "input": {"question": "Where is the fire exit?", "locale": "en"},
    }
    assert client_a.post("/api/v1/ai/complete", body, format="json").status_code == 200
    assert openai_fake.received == []


def test_moderate_endpoint_returns_categories_and_moderators(client_a, ready):
    response = client_a.post("/api/v1/ai/moderate", {"text": "There is a bomb in the lobby"}, format="json")
    body = response.json()
    assert body["verdict"] == "block" and body["categories"]["harm_high"]["flagged"] is True
    assert body["provenance"]["moderators"]
    calm = client_a.post("/api/v1/ai/moderate", {"text": "The shot of the pool is lovely"}, format="json").json()
    assert calm["verdict"] == "allow"


def test_tenant_thresholds_apply_per_category(client_a, tenant_a, ready):
    ready.OPENAI_API_KEY = None
    adapter_for.cache_clear()
    body = {
        "capability": "tutor.answer",
        "context": {"feature": "tutor"},
        "input": {"question": "I am going to kill the night manager tonight", "locale": "en"},
    }
    assert client_a.post("/api/v1/ai/complete", body, format="json").status_code == 422
    Tenant.objects.filter(pk=tenant_a.pk).update(moderation_thresholds={"harm_high": 1.0})
    from melmastoon_ai.tenancy.selectors import CREDENTIAL_CACHE

    CREDENTIAL_CACHE.invalidate()  # an admin save does this on commit
    assert client_a.post("/api/v1/ai/complete", body, format="json").status_code == 200


def test_embed_uses_vertex_with_redacted_texts_and_degrades_when_it_fails(client_a, ready, vertex_fake):
    texts = ["Late check-out for amina.rahimi@example.com", "late checkout please"]
    body = client_a.post("/api/v1/ai/embed", {"texts": texts}, format="json").json()
    assert (body["model"], body["dim"], body["provenance"]["degraded"]) == ("text-embedding-004", 768, False)
    assert body["provenance"]["safety"]["pii_redactions"] == 1
    assert "amina.rahimi@example.com" not in json.dumps([request.body for request in vertex_fake.received])
    vertex_fake.script(times=None, status=503)
    degraded = client_a.post("/api/v1/ai/embed", {"texts": texts}, format="json").json()
    assert degraded["provenance"]["degraded"] is True and degraded["dim"] == 384
    assert degraded["provenance"]["attempts"][0]["outcome"] == "error"
