"""The budget under load, through gunicorn, real Redis and PostgreSQL, and the fake Vertex server:
200 concurrent calls against a hard cap; the cap is never exceeded and every count agrees."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from budgets.counters import BudgetCounters
from budgets.models import Budget, BudgetLedgerEntry, BudgetPeriod
from capabilities.models import Capability, UsageFact
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.tenancy.context import tenant_context
from routing.fakes import FakeVertexServer
from tests.e2e.conftest import running_server
from tests.factories import ApiKeyFactory, TenantFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
CALLS = 200
CAP_TOKENS = 40_000


def test_two_hundred_concurrent_calls_never_exceed_the_hard_cap(catalog):
    tenant = TenantFactory(rate_limit_per_minute=100_000, cache_enabled=False)
    key = ApiKeyFactory(tenant=tenant, scopes=["ai:invoke"])
    with tenant_context(tenant.id):
        Budget.objects.create(tenant=tenant, token_limit=CAP_TOKENS, soft_cap_pct=50)
    example = Capability.objects.get(pk="pricing.suggest").examples[0]
    with (
        FakeVertexServer() as vertex,
        running_server(
            workers=2,
            VERTEX_PROJECT="fake-project",
            VERTEX_BASE_URL=vertex.base_url,
            VERTEX_ACCESS_TOKEN="fake-vertex-token",
            VERTEX_LOCATION="europe-west1",
        ) as url,
    ):

        def call(n: int) -> dict:
            body = {
                "capability": "pricing.suggest",
                "input": example | {"occupancy_pct": n % 100},
                "context": {"feature": "pricing"},
            }
            response = httpx.post(f"{url}/api/v1/ai/complete", json=body, headers={"X-API-Key": key.raw}, timeout=60)
            assert response.status_code == 200, response.text[:300]
            return response.json()

        with ThreadPoolExecutor(max_workers=32) as pool:
            answers = list(pool.map(call, range(CALLS)))
        model_calls = len([r for r in vertex.received if ":generateContent" in r.path])
    answered = [a for a in answers if a["provenance"]["provider"] == "vertex"]
    degraded = [a for a in answers if a["degraded"]]
    assert len(answered) + len(degraded) == CALLS
    # Past the cap the models are skipped ("budget"); a few calls may also miss their latency
    # deadline while queued behind 31 others on two cores ("timeout"): both degrade, never error.
    first_outcomes = [a["provenance"]["attempts"][0]["outcome"] for a in degraded]
    assert "budget" in first_outcomes and set(first_outcomes) <= {"budget", "timeout"}
    assert model_calls == len(answered)
    with tenant_context(tenant.id):
        period = BudgetPeriod.objects.get()
        ledger = sum(BudgetLedgerEntry.objects.values_list("tokens", flat=True))
        facts = sum(f.input_tokens + f.output_tokens for f in UsageFact.objects.all())
        topics = list(OutboxEvent.objects.values_list("topic", flat=True))
    counter = BudgetCounters().usage(period.id)
    assert ledger == facts == counter.used_tokens
    assert counter.used_tokens <= CAP_TOKENS and counter.reserved_tokens == 0
    assert topics.count("budget.hard_cap_reached") == 1
    assert topics.count("budget.soft_cap_reached") == 1
    print(
        f"budget proof: {len(answered)} of {CALLS} reached the model, {len(degraded)} degraded "
        f"({first_outcomes.count('budget')} by the budget), "
        f"settled {counter.used_tokens} of {CAP_TOKENS} tokens"
    )
