"""POST /api/v1/ai/complete through Django's HTTP stack: answers, provenance, records, errors."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from capabilities.catalog_seed import CAPABILITIES
from capabilities.models import Capability, IdempotencyRecord, InferenceRecord, UsageFact
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.tenancy.models import Tenant
from tests.factories import ApiKeyFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/ai/complete"
PROVENANCE_FIELDS = {
    "inference_id",
    "tenant_id",
    "request_id",
    "capability",
    "capability_version",
    "prompt",
    "provider",
    "model",
    "attempts",
    "fallback_used",
    "cache_hit",
    "input_hash",
    "output_hash",
    "tokens",
    "cost_usd",
    "latency_ms",
    "safety",
    "schema_valid",
    "repaired",
    "created_at",
}


def call(client, capability_id, payload, *, context=None, **headers):
    body = {"capability": capability_id, "input": payload, "context": context or {"feature": "tests", "locale": "en"}}
    return client.post(URL, body, format="json", **headers)


def counts(tenant) -> tuple[int, int, int]:
    with tenant_context(tenant.id):
        return InferenceRecord.objects.count(), UsageFact.objects.count(), OutboxEvent.objects.count()


@pytest.mark.parametrize("capability_id", [row["id"] for row in CAPABILITIES])
def test_every_capability_answers_its_examples_with_schema_valid_output(client_a, catalog, capability_id):
    capability = Capability.objects.get(pk=capability_id)
    validator = Draft202012Validator(capability.output_schema)
    for example in capability.examples:
        response = call(client_a, capability_id, example)
        assert response.status_code == 200, response.json()
        body = response.json()
        assert list(validator.iter_errors(body["output"])) == []
        provenance = body["provenance"]
        assert PROVENANCE_FIELDS <= set(provenance)
        assert [a["outcome"] for a in provenance["attempts"]][-1] == "ok"
        cloud = [a for a in provenance["attempts"][:-1] if a["provider"] != "in_process"]
        assert all(a["outcome"] == "not_configured" for a in cloud)
        if provenance["provider"] == "in_process":  # the solver and the tabular model run in the gateway
            assert body["degraded"] is False
        else:  # no provider configured: the deterministic fallback answered
            assert body["degraded"] is True
            assert provenance["provider"] == "deterministic" and provenance["fallback_used"] is True
        assert provenance["schema_valid"] is True
        assert provenance["capability_version"] == capability.version


def test_provenance_is_complete_and_stored(client_a, tenant_a, catalog):
    response = call(
        client_a,
        "pricing.suggest",
        Capability.objects.get(pk="pricing.suggest").examples[0],
        HTTP_X_REQUEST_ID="req-42",
    )
    body = response.json()
    provenance = body["provenance"]
    assert provenance["request_id"] == "req-42" == response["X-Request-ID"]
    assert provenance["tenant_id"] == str(tenant_a.id)
    assert provenance["prompt"] == {"id": "PRMP_PRICING_001", "version": "3.0.0", "canary": False}
    assert [a["model"] for a in provenance["attempts"]] == [
        "gemini-1.5-flash",
        "claude-3-5-sonnet",
        "gpt-4o-mini",
        "deterministic",
    ]
    assert provenance["input_hash"].startswith("sha256:") and provenance["output_hash"].startswith("sha256:")
    assert provenance["tokens"] == {"input": 0, "output": 0} and provenance["cost_usd"] == "0.000000"
    assert float(response["X-Gateway-Overhead-Ms"]) >= 0
    with tenant_context(tenant_a.id):
        record = InferenceRecord.objects.get(pk=body["id"])
        fact = UsageFact.objects.get(inference=record)
        topics = sorted(OutboxEvent.objects.filter(key=str(record.id)).values_list("topic", flat=True))
    assert record.provenance == provenance and record.output == body["output"]
    assert (fact.capability, fact.outcome, fact.provider) == ("pricing.suggest", "degraded", "deterministic")
    assert topics == ["inference.completed", "suggestion.pricing_suggest"]


def test_inference_can_be_read_back_and_not_by_another_tenant(client_a, client_b, catalog):
    body = call(client_a, "upsell.recommend", Capability.objects.get(pk="upsell.recommend").examples[0]).json()
    mine = client_a.get(f"/api/v1/ai/inferences/{body['id']}")
    assert mine.status_code == 200
    assert mine.json()["provenance"] == body["provenance"]
    theirs = client_b.get(f"/api/v1/ai/inferences/{body['id']}")
    assert theirs.status_code == 404
    assert theirs.json()["error"]["code"] == "not_found"


def test_second_identical_call_is_a_cache_hit_that_is_still_recorded(
    client_a, tenant_a, catalog, django_capture_on_commit_callbacks
):
    example = Capability.objects.get(pk="pricing.suggest").examples[0]
    with django_capture_on_commit_callbacks(execute=True):
        first = call(client_a, "pricing.suggest", example).json()
    second = call(client_a, "pricing.suggest", example).json()
    assert first["provenance"]["cache_hit"] is False
    assert second["provenance"]["cache_hit"] is True
    assert second["output"] == first["output"] and second["id"] != first["id"]
    assert second["provenance"]["tokens"] == {"input": 0, "output": 0}
    with tenant_context(tenant_a.id):
        assert UsageFact.objects.get(inference_id=second["id"]).outcome == "cached"


def test_the_cache_never_serves_one_tenant_another_tenants_answer(
    client_a, client_b, catalog, django_capture_on_commit_callbacks
):
    example = Capability.objects.get(pk="pricing.suggest").examples[0]
    with django_capture_on_commit_callbacks(execute=True):
        call(client_a, "pricing.suggest", example)
    assert call(client_b, "pricing.suggest", example).json()["provenance"]["cache_hit"] is False


def test_a_tenant_can_turn_the_cache_off(client_a, tenant_a, catalog, django_capture_on_commit_callbacks):
    Tenant.objects.filter(pk=tenant_a.pk).update(cache_enabled=False)
    example = Capability.objects.get(pk="pricing.suggest").examples[0]
    with django_capture_on_commit_callbacks(execute=True):
        call(client_a, "pricing.suggest", example)
    assert call(client_a, "pricing.suggest", example).json()["provenance"]["cache_hit"] is False


def test_capabilities_with_ttl_zero_are_never_cached(client_a, catalog, django_capture_on_commit_callbacks):
    example = Capability.objects.get(pk="message.draft").examples[0]
    with django_capture_on_commit_callbacks(execute=True):
        call(client_a, "message.draft", example)
    assert call(client_a, "message.draft", example).json()["provenance"]["cache_hit"] is False


def test_tutor_answers_from_the_tenants_own_faq(client_a, client_b, tenant_a, catalog):
    from tests.factories import faq_ingested

    faq_ingested(
        tenant_a,
        [
            {"question": "What time is breakfast served?", "answer": "Breakfast is 6:30-10:00 in the garden room."},
            {"question": "Where do guests park?", "answer": "Free parking behind the hotel."},
        ],
    )
    payload = {"question": "When is breakfast served?", "locale": "en"}
    mine = call(client_a, "tutor.answer", payload).json()["output"]
    assert "6:30" in mine["answer"] and mine["sources"]
    theirs = call(client_b, "tutor.answer", payload).json()["output"]
    assert "6:30" not in theirs["answer"] and theirs["sources"] == []


# --- errors: every code of API.md the inference path produces, and nothing half-written ----------


def test_malformed_json_is_400(client_a, tenant_a, catalog):
    before = counts(tenant_a)
    response = client_a.post(URL, data='{"capability": ', content_type="application/json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_request")
    assert counts(tenant_a) == before


@pytest.mark.parametrize(
    "body",
    [
        {"input": {}},
        {"capability": "pricing.suggest"},
        {"capability": "pricing.suggest", "input": [1, 2]},
        {"capability": 42, "input": {}},
        {"capability": "pricing.suggest", "input": {}, "context": {"offline": "maybe"}},
        {"capability": "pricing.suggest", "input": {}, "context": "en"},
    ],
    ids=[
        "no-capability",
        "no-input",
        "input-not-object",
        "capability-not-string",
        "offline-not-bool",
        "context-not-object",
    ],
)
def test_missing_or_mistyped_fields_are_400_invalid_request(client_a, tenant_a, catalog, body):
    before = counts(tenant_a)
    response = client_a.post(URL, body, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_request")
    assert response.json()["error"]["details"]["fields"]
    assert counts(tenant_a) == before


def test_unknown_capability_is_404_unknown_capability(client_a, tenant_a, catalog):
    response = call(client_a, "pricing.guess", {})
    assert (response.status_code, response.json()["error"]["code"]) == (404, "unknown_capability")
    assert counts(tenant_a) == (0, 0, 0)


def test_input_schema_violation_is_422_with_json_pointers(client_a, tenant_a, catalog):
    payload = {"bar": {"amount": -5, "currency": "euro"}, "occupancy_pct": 140, "stay_date": "tomorrow"}
    response = call(client_a, "pricing.suggest", payload)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "input_schema_violation"
    pointers = {row["pointer"] for row in error["details"]["errors"]}
    assert {"/bar/amount", "/bar/currency", "/occupancy_pct", "/stay_date"} <= pointers
    assert counts(tenant_a) == (0, 0, 0)


def test_oversized_body_is_413(client_a, tenant_a, catalog, settings):
    payload = {"question": "x" * (settings.MAX_REQUEST_BODY_BYTES + 10), "locale": "en"}
    response = client_a.post(
        URL, json.dumps({"capability": "tutor.answer", "input": payload}), content_type="application/json"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (413, "payload_too_large")


def test_no_credential_is_401_and_wrong_scope_is_403(anon_client, client_for, tenant_a, catalog):
    assert call(anon_client, "pricing.suggest", {}).status_code == 401
    review_only = ApiKeyFactory(tenant=tenant_a, scopes=["ai:review"])
    response = call(client_for(review_only.raw), "pricing.suggest", {})
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")


def test_rate_limit_is_429_with_retry_after_per_tenant_and_feature(client_a, client_b, tenant_a, catalog):
    Tenant.objects.filter(pk=tenant_a.pk).update(rate_limit_per_minute=3)
    example = Capability.objects.get(pk="upsell.recommend").examples[0]
    statuses = [
        call(client_a, "upsell.recommend", example, context={"feature": "upsell"}).status_code for _ in range(3)
    ]
    limited = call(client_a, "upsell.recommend", example, context={"feature": "upsell"})
    assert statuses == [200, 200, 200]
    assert (limited.status_code, limited.json()["error"]["code"]) == (429, "rate_limited")
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert call(client_a, "upsell.recommend", example, context={"feature": "other"}).status_code == 200
    assert call(client_b, "upsell.recommend", example, context={"feature": "upsell"}).status_code == 200


def test_idempotency_key_replays_the_stored_response_without_running_again(client_a, tenant_a, catalog):
    example = Capability.objects.get(pk="message.draft").examples[0]
    first = call(client_a, "message.draft", example, HTTP_IDEMPOTENCY_KEY="draft-1")
    second = call(client_a, "message.draft", example, HTTP_IDEMPOTENCY_KEY="draft-1")
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert counts(tenant_a)[0] == 1


def test_idempotency_key_with_another_body_is_409(client_a, tenant_a, catalog):
    examples = Capability.objects.get(pk="message.draft").examples
    call(client_a, "message.draft", examples[0], HTTP_IDEMPOTENCY_KEY="draft-2")
    response = call(client_a, "message.draft", examples[1], HTTP_IDEMPOTENCY_KEY="draft-2")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "idempotency_conflict")
    assert counts(tenant_a)[0] == 1


def test_idempotency_keys_are_per_tenant(client_a, client_b, tenant_a, tenant_b, catalog):
    example = Capability.objects.get(pk="message.draft").examples[0]
    mine = call(client_a, "message.draft", example, HTTP_IDEMPOTENCY_KEY="shared")
    theirs = call(client_b, "message.draft", example, HTTP_IDEMPOTENCY_KEY="shared")
    assert theirs.status_code == 200 and theirs.json()["id"] != mine.json()["id"]
    with tenant_context(tenant_b.id):
        assert IdempotencyRecord.objects.count() == 1


def test_embed_answers_with_the_contract_shape(client_a, catalog):
    response = client_a.post("/api/v1/ai/embed", {"texts": ["late check-out", "late checkout please"]}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["dim"] == 384 and len(body["embeddings"]) == 2
    assert all(len(vector) == 384 for vector in body["embeddings"])
    first, second = body["embeddings"]
    assert sum(a * b for a, b in zip(first, second, strict=True)) > 0.5  # shared spellings embed close
    assert body["provenance"]["degraded"] is True


def test_embed_rejects_an_empty_list(client_a, catalog):
    response = client_a.post("/api/v1/ai/embed", {"texts": []}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_request")


def test_moderate_answers_with_the_contract_shape_and_says_what_checked(client_a, catalog):
    response = client_a.post("/api/v1/ai/moderate", {"text": "Please kill the lights in room 12."}, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"verdict", "categories", "provenance"}
    assert response.json()["verdict"] in ("allow", "block")
    assert "moderators" in response.json()["provenance"]


def test_when_output_moderation_blocks_even_the_fallback_the_caller_gets_422_and_the_budget_back(
    client_a, tenant_a, catalog, monkeypatch
):
    """Fault injection: output moderation blocks every answer. The deterministic fallback repeats
    parts of the input, so a strict tenant threshold can do this for real; it must never be a 500."""
    import guardrails
    from budgets.models import Budget
    from capabilities.models import ModerationBlock

    with tenant_context(tenant_a.id):
        Budget.objects.create(tenant=tenant_a, token_limit=1_000_000)
    monkeypatch.setattr(guardrails, "screen_output", lambda output, **kwargs: "block")
    example = Capability.objects.get(pk="description.generate").examples[0]
    response = client_a.post(
        "/api/v1/ai/complete", {"capability": "description.generate", "input": example}, format="json"
    )
    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["details"]) == (
        "content_blocked",
        {"stage": "output"},
    )
    with tenant_context(tenant_a.id):
        assert not InferenceRecord.objects.filter(capability="description.generate").exists()
        block = ModerationBlock.objects.get(capability="description.generate")
        event = OutboxEvent.objects.get(topic="inference.blocked", key=str(block.id))
    assert block.moderators == ["output moderation"] and event.payload["stage"] == "output"
    budget = client_a.get("/api/v1/ai/budgets").json()[0]
    assert (budget["used_tokens"], budget["reserved_tokens"]) == (0, 0)
