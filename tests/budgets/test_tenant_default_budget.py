"""A new tenant is never uncapped by accident (issue 15 #8): `create_tenant --monthly-token-limit N`
gives it a monthly tenant budget with N as the hard cap, and without the flag it gets the platform
default; the admin's add form does the same."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from budgets.models import Budget, BudgetLedgerEntry
from capabilities.models import Capability
from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.tenancy.models import Tenant
from tests.factories import ApiKeyFactory, staff_login


def _create_tenant(*args: str) -> Tenant:
    out = StringIO()
    call_command("create_tenant", *args, stdout=out)
    return Tenant.objects.get(pk=out.getvalue().strip())


def test_the_monthly_token_limit_is_an_enforced_hard_cap(catalog, client_for, providers_from_settings):
    tenant = _create_tenant("Hotel Capped", "--monthly-token-limit", "1000")
    Tenant.objects.filter(pk=tenant.pk).update(cache_enabled=False)
    client = client_for(ApiKeyFactory(tenant=tenant, scopes=["ai:invoke"]).raw)
    rows = client.get("/api/v1/ai/budgets").json()
    assert [(row["feature"], row["period"], row["token_limit"]) for row in rows] == [(None, "monthly", 1000)]
    example = Capability.objects.get(pk="pricing.suggest").examples[0]
    answers = [
        client.post(
            "/api/v1/ai/complete",
            {"capability": "pricing.suggest", "input": example | {"occupancy_pct": 10 + n}},
            format="json",
        )
        for n in range(4)
    ]
    assert [answer.status_code for answer in answers] == [200] * 4
    with tenant_context(tenant.id):
        spent = sum(BudgetLedgerEntry.objects.values_list("tokens", flat=True))
    assert spent <= 1000  # reservations are upper bounds: the cap is never overspent
    assert any(answer.json()["degraded"] for answer in answers)


def test_without_a_limit_a_tenant_gets_the_platform_default(catalog, settings):
    settings.DEFAULT_TENANT_MONTHLY_TOKEN_LIMIT = 123_456
    tenant = _create_tenant("Hotel Default")
    with tenant_context(tenant.id):
        budget = Budget.objects.get()
    assert (budget.feature, budget.period, budget.token_limit, budget.enabled) == ("", "monthly", 123_456, True)


def test_a_tenant_added_in_the_admin_gets_its_budget(catalog, superuser, client):
    staff_login(client, superuser)
    response = client.post(
        "/admin/tenancy/tenant/add/",
        {
            "name": "Hotel From Admin",
            "region": "europe-west1",
            "country": "TR",
            "data_residency": "any",
            "status": "active",
            "monthly_token_limit": "5000",
            "rate_limit_per_minute": "600",
            "cache_enabled": "on",
            "moderation_thresholds": "{}",
        },
    )
    assert response.status_code == 302, response.content[:500]
    tenant = Tenant.objects.get(name="Hotel From Admin")
    with tenant_context(tenant.id):
        assert list(Budget.objects.values_list("token_limit", flat=True)) == [5000]


def test_the_token_estimate_is_an_upper_bound_in_every_script():
    """Byte-level tokenizers (and SentencePiece with byte fallback) make at most one token per UTF-8
    byte; `len // 4` reserved 101 tokens for 400 Persian letters, each of which can be a token."""
    from hypothesis import given
    from hypothesis import strategies as st

    from capabilities.pipeline import token_upper_bound

    persian = "ب" * 400
    assert token_upper_bound(persian) > 800 > len(persian) // 4

    @given(st.text())
    def bounded(text: str) -> None:
        assert token_upper_bound(text) >= len(text.encode("utf-8")) >= len(text)

    bounded()
