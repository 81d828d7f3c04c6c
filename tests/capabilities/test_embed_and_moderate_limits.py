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


def test_embed_through_vertex_is_charged_and_leaves_a_usage_fact(client_a, tenant_a, catalog, providers_from_settings,
                                                                 django_capture_on_commit_callbacks):
    _budget(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post("/api/v1/ai/embed", {"texts": ["late check-out", "parking"],
                                                      "context": {"feature": "faq-search"}}, format="json")
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["provenance"]["provider"] == "vertex" and body["provenance"]["tokens"]["input"] > 0
    with tenant_context(tenant_a.id):
        fact = UsageFact.objects.get()
        assert (fact.capability, fact.feature, fact.provider, fact.inference_id) == (
            "embeddings", "faq-search", "vertex", None)
        assert fact.input_tokens == body["provenance"]["tokens"]["input"]
        assert sum(BudgetLedgerEntry.objects.values_list("tokens", flat=True)) == fact.input_tokens
        assert BudgetPeriod.objects.count() == 1


def test_embed_past_the_hard_cap_skips_the_cloud_model_and_charges_nothing(client_a, tenant_a, catalog,
                                                                           providers_from_settings, vertex_fake):
    _budget(tenant_a, token_limit=5)
    response = client_a.post("/api/v1/ai/embed", {"texts": ["a long enough text to pass five tokens"]},
                             format="json")
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
