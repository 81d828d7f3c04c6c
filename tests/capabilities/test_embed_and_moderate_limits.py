"""/embed is charged to the tenant's budget, rate-limited and leaves a usage fact; /moderate is
rate-limited (issue 15 #9)."""

from __future__ import annotations

from budgets.models import Budget, BudgetLedgerEntry, BudgetPeriod
from capabilities.models import UsageFact
from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.tenancy.models import Tenant


def _budget(tenant, **fields) -> Budget:
    with tenant_context(tenant.id):
        return Budget.objects.create(tenant=tenant, **({"token_limit": 100_000} | fields))


def test_embed_through_vertex_is_charged_and_leaves_a_usage_fact(
    client_a, tenant_a, catalog, providers_from_settings, django_capture_on_commit_callbacks
):
    _budget(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(
            "/api/v1/ai/embed",
            {"texts": ["late check-out", "parking"], "context": {"feature": "faq-search"}},
            format="json",
        )
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["provenance"]["provider"] == "vertex" and body["provenance"]["tokens"]["input"] > 0
    with tenant_context(tenant_a.id):
        fact = UsageFact.objects.get()
        assert (fact.capability, fact.feature, fact.provider, fact.inference_id) == (
            "embeddings",
            "faq-search",
            "vertex",
            None,
        )
        assert fact.input_tokens == body["provenance"]["tokens"]["input"]
        assert sum(BudgetLedgerEntry.objects.values_list("tokens", flat=True)) == fact.input_tokens
        assert BudgetPeriod.objects.count() == 1


def test_embed_past_the_hard_cap_skips_the_cloud_model_and_charges_nothing(
    client_a, tenant_a, catalog, providers_from_settings, vertex_fake
):
    _budget(tenant_a, token_limit=5)
    response = client_a.post("/api/v1/ai/embed", {"texts": ["a long enough text to pass five tokens"]}, format="json")
    assert response.status_code == 200
    attempts = response.json()["provenance"]["attempts"]
    assert attempts[0] == {"provider": "vertex", "model": "text-embedding-004", "outcome": "budget"}
    assert not any(":predict" in request.path or "embed" in request.path for request in vertex_fake.received)
    with tenant_context(tenant_a.id):
        assert UsageFact.objects.get().input_tokens == 0


def test_embed_and_moderate_are_rate_limited(client_a, tenant_a, catalog):
    Tenant.objects.filter(pk=tenant_a.pk).update(rate_limit_per_minute=2)
    embeds = [client_a.post("/api/v1/ai/embed", {"texts": ["x"]}, format="json").status_code for _ in range(3)]
    moderations = [client_a.post("/api/v1/ai/moderate", {"text": "hello"}, format="json") for _ in range(3)]
    assert embeds == [200, 200, 429]
    assert [m.status_code for m in moderations] == [200, 200, 429]
    assert moderations[-1].json()["error"]["code"] == "rate_limited" and moderations[-1]["Retry-After"]


def test_bad_embedding_requests_never_open_the_vertex_breaker(
    client_a, tenant_a, catalog, providers_from_settings, vertex_fake
):
    """Issue 16: /embed counted any ProviderError, bad_request included, on the breaker that gates
    every tenant's Vertex completions; now only provider faults count (routing.breakers.record_attempt)."""
    from capabilities.pipeline import circuit_breakers
    from routing.breakers import CLOSED, OPEN

    breakers = circuit_breakers()
    try:
        vertex_fake.script(times=None, status=400)
        for _ in range(8):  # beyond the failure threshold
            response = client_a.post("/api/v1/ai/embed", {"texts": ["parking"]}, format="json")
            assert response.status_code == 200 and response.json()["provenance"]["provider"] != "vertex"
        assert breakers.state("vertex") == CLOSED
        vertex_fake.script(times=None, status=500)  # a provider fault does count
        for _ in range(8):
            client_a.post("/api/v1/ai/embed", {"texts": ["parking"]}, format="json")
        assert breakers.state("vertex") == OPEN
    finally:
        breakers.record_success("vertex")  # the breakers live in Redis: later tests expect Vertex closed


def test_the_embedding_chain_is_catalog_data_an_operator_reorders(
    client_a, tenant_a, catalog, providers_from_settings, vertex_fake
):
    """Issue 16: /embed walks routing.models.EmbeddingChain, not a chain in code."""
    from routing.models import EmbeddingChain

    seeded = EmbeddingChain.objects.get(use="embed")
    assert seeded.chain == ["text-embedding-004", "all-minilm-l6-v2", "deterministic-ngram-hash-384"]
    seeded.chain = ["deterministic-ngram-hash-384"]
    seeded.save()
    response = client_a.post("/api/v1/ai/embed", {"texts": ["parking"]}, format="json")
    assert response.status_code == 200
    provenance = response.json()["provenance"]
    assert (provenance["provider"], provenance["model"]) == ("deterministic", "deterministic-ngram-hash-384")
    assert [attempt["model"] for attempt in provenance["attempts"]] == ["deterministic-ngram-hash-384"]
    assert not vertex_fake.received
    assert seeded.history.count() >= 1  # edits keep their history, as the capability routes do


def test_an_embedding_chain_must_name_embedding_models_and_end_in_process(catalog):
    import pytest
    from django.core.exceptions import ValidationError

    from routing.models import EmbeddingChain

    for chain, problem in (
        (["text-embedding-004", "gemini-1.5-flash"], "not embedding models"),
        (["text-embedding-004", "all-minilm-l6-v2"], "must end with the in-process"),
        (["deterministic-ngram-hash-384", "deterministic-ngram-hash-384"], "listed twice"),
    ):
        with pytest.raises(ValidationError, match=problem):
            EmbeddingChain(use="embed", chain=chain).clean()


def test_vertex_embeddings_are_charged_by_the_character_as_vertex_prices_them(
    client_a, tenant_a, catalog, providers_from_settings, django_capture_on_commit_callbacks
):
    """text-embedding-004 is priced per character; /embed used to charge it $0 (a token price of 0)."""
    from decimal import Decimal

    from routing.selectors import model_get

    _budget(tenant_a)
    texts = ["late check-out", "parking"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post("/api/v1/ai/embed", {"texts": texts}, format="json")
    assert response.json()["provenance"]["provider"] == "vertex"
    price = model_get(name="text-embedding-004").input_price_per_million
    expected = (Decimal(sum(len(text) for text in texts)) * price / Decimal(1_000_000)).quantize(Decimal("0.000001"))
    with tenant_context(tenant_a.id):
        assert UsageFact.objects.get().cost_usd == expected
