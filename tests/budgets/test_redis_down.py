"""Budgets when Redis is down: requests still complete, checked and charged against the PostgreSQL
ledger (conservatively: past the soft cap the models are skipped), and the Redis counters are
rebuilt from the ledger when Redis answers again (issue 15 #4)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
import redis

from budgets.counters import BudgetCounters
from budgets.models import Budget, BudgetLedgerEntry, BudgetPeriod
from budgets.services import budget_reserve, budget_settle, period_open
from capabilities.models import Capability, InferenceRecord
from melmastoon_ai.tenancy.context import tenant_context

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: every call raises ConnectionError


@pytest.fixture
def redis_down(settings):
    settings.REDIS_URL = DEAD_REDIS
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(DEAD_REDIS, socket_connect_timeout=1).ping()
    return settings


def _budget(tenant, **fields) -> Budget:
    with tenant_context(tenant.id):
        return Budget.objects.create(tenant=tenant, **({"token_limit": 10_000} | fields))


def _complete(client, occupancy: int = 40):
    example = Capability.objects.get(pk="pricing.suggest").examples[0]
    return client.post(
        "/api/v1/ai/complete",
        {"capability": "pricing.suggest", "input": example | {"occupancy_pct": occupancy}},
        format="json",
    )


def test_with_redis_down_a_budgeted_request_completes_and_is_charged_to_the_ledger(
    client_a, tenant_a, catalog, redis_down
):
    _budget(tenant_a)
    response = _complete(client_a)
    assert response.status_code == 200, response.content[:300]
    with tenant_context(tenant_a.id):
        record = InferenceRecord.objects.get()
        assert BudgetLedgerEntry.objects.filter(inference_id=record.id).count() == 1


def test_with_redis_down_a_tenant_past_its_soft_cap_degrades(client_a, tenant_a, catalog, redis_down):
    budget = _budget(tenant_a, token_limit=1000, soft_cap_pct=80)
    with tenant_context(tenant_a.id):
        period = period_open(budget=budget)
        BudgetLedgerEntry.objects.create(
            tenant=tenant_a, period=period, inference_id=uuid.uuid4(), tokens=790, cost_usd=Decimal(0)
        )
    body = _complete(client_a).json()
    assert body["degraded"] is True
    assert {attempt["outcome"] for attempt in body["provenance"]["attempts"][:-1]} == {"budget"}


def test_the_budgets_endpoint_shows_the_ledger_when_redis_is_down(client_a, tenant_a, catalog, redis_down):
    budget = _budget(tenant_a)
    with tenant_context(tenant_a.id):
        BudgetLedgerEntry.objects.create(
            tenant=tenant_a,
            period=period_open(budget=budget),
            inference_id=uuid.uuid4(),
            tokens=123,
            cost_usd=Decimal("0.5"),
        )
    response = client_a.get("/api/v1/ai/budgets")
    assert response.status_code == 200
    assert [(row["used_tokens"], row["used_cost_usd"]) for row in response.json()] == [(123, "0.500000")]


def test_a_settlement_redis_missed_is_rebuilt_from_the_ledger_when_it_returns(tenant_a, catalog, after_commit):
    _budget(tenant_a)
    live = BudgetCounters()
    dead = BudgetCounters(client=redis.Redis.from_url(DEAD_REDIS, socket_connect_timeout=1))
    with tenant_context(tenant_a.id):
        first = budget_reserve(tenant_id=tenant_a.id, feature="", tokens=100, cost_usd=Decimal(0), counters=live)
        with after_commit(execute=True):
            budget_settle(reservation=first, inference_id=uuid.uuid4(), tokens=60, cost_usd=Decimal(0), counters=live)
        period = BudgetPeriod.objects.get()
        assert live.usage(period.id).used_tokens == 60
        second = budget_reserve(tenant_id=tenant_a.id, feature="", tokens=100, cost_usd=Decimal(0), counters=live)
        with after_commit(execute=True):  # Redis is unreachable exactly when this one settles
            budget_settle(reservation=second, inference_id=uuid.uuid4(), tokens=40, cost_usd=Decimal(0), counters=dead)
        assert live.usage(period.id).used_tokens == 60  # the counters missed it; the ledger did not
        budget_reserve(tenant_id=tenant_a.id, feature="", tokens=1, cost_usd=Decimal(0), counters=live)
    assert live.usage(period.id).used_tokens == 100  # resynchronised from the ledger on the next use
    for key in live._client.scan_iter("budget:*"):
        live._client.delete(key)
