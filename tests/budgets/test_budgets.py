"""Budgets: reserve then settle against real Redis and PostgreSQL; caps, events, rebuild, rollover."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection

from budgets.counters import BudgetCounters, Limits
from budgets.models import Budget, BudgetLedgerEntry, BudgetPeriod
from budgets.services import budget_reserve, budget_settle, budgets_rollover, period_bounds
from capabilities.models import Capability, UsageFact
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.tenancy.context import platform_access, tenant_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def counters():
    instance = BudgetCounters()
    yield instance
    for key in instance._client.scan_iter("budget:*"):
        instance._client.delete(key)


def make_budget(tenant, **fields) -> Budget:
    with tenant_context(tenant.id):
        return Budget.objects.create(tenant=tenant, **({"token_limit": 1000} | fields))


def test_concurrent_reservations_never_take_more_than_the_cap(counters):
    period_id = 10_000 + uuid.uuid4().int % 1000
    counters.rebuild(period_id, used_tokens=0, used_micros=0)
    granted = []

    def take():
        for _ in range(25):
            ok = (
                counters.reserve(
                    reservation_id=uuid.uuid4().hex,
                    tokens=10,
                    micros=0,
                    period_limits={period_id: Limits(tokens=555, micros=None)},
                )
                == 0
            )
            granted.append(ok)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(granted) == 55  # 555 // 10, out of 200 attempts from 8 threads
    assert counters.usage(period_id).reserved_tokens == 550


def test_settling_replaces_the_reservation_by_the_actual_usage(counters):
    counters.rebuild(1, used_tokens=0, used_micros=0)
    counters.reserve(reservation_id="r1", tokens=100, micros=5, period_limits={1: Limits(1000, None)})
    counters.settle(reservation_id="r1", period_ids=[1], tokens=30, micros=2)
    usage = counters.usage(1)
    assert (usage.used_tokens, usage.reserved_tokens, usage.used_micros, usage.reserved_micros) == (30, 0, 2, 0)


def test_no_budget_means_no_reservation(tenant_a, catalog):
    with tenant_context(tenant_a.id):
        assert budget_reserve(tenant_id=tenant_a.id, feature="pricing", tokens=10, cost_usd=Decimal(0)) is None


def test_tenant_and_feature_budgets_are_both_charged(tenant_a, counters, after_commit):
    tenant_budget = make_budget(tenant_a, token_limit=1000)
    feature_budget = make_budget(tenant_a, feature="pricing", token_limit=300)
    with tenant_context(tenant_a.id):
        reservation = budget_reserve(
            tenant_id=tenant_a.id, feature="pricing", tokens=200, cost_usd=Decimal("0.01"), counters=counters
        )
        assert not reservation.skip_models
        with after_commit(execute=True):  # Redis counts once the ledger commits
            budget_settle(
                reservation=reservation,
                inference_id=uuid.uuid4(),
                tokens=120,
                cost_usd=Decimal("0.005"),
                counters=counters,
            )
        periods = {p.budget_id: p for p in BudgetPeriod.objects.all()}
        assert counters.usage(periods[tenant_budget.id].id).used_tokens == 120
        assert counters.usage(periods[feature_budget.id].id).used_tokens == 120
        second = budget_reserve(
            tenant_id=tenant_a.id, feature="pricing", tokens=200, cost_usd=Decimal(0), counters=counters
        )
    assert second.skip_models  # 120 used + 200 > 300 on the feature budget


def test_hard_cap_event_once_and_soft_cap_event_once(tenant_a, counters, after_commit):
    make_budget(tenant_a, token_limit=100, soft_cap_pct=80)
    with tenant_context(tenant_a.id):
        for _ in range(2):
            reservation = budget_reserve(
                tenant_id=tenant_a.id, feature="", tokens=45, cost_usd=Decimal(0), counters=counters
            )
            with after_commit(execute=True):  # Redis counts once the ledger commits
                budget_settle(
                    reservation=reservation,
                    inference_id=uuid.uuid4(),
                    tokens=45,
                    cost_usd=Decimal(0),
                    counters=counters,
                )
        for _ in range(3):
            assert budget_reserve(
                tenant_id=tenant_a.id, feature="", tokens=45, cost_usd=Decimal(0), counters=counters
            ).skip_models
        topics = list(OutboxEvent.objects.values_list("topic", flat=True))
    assert topics.count("budget.soft_cap_reached") == 1  # at 90 of 100 (>= 80%)
    assert topics.count("budget.hard_cap_reached") == 1


def test_redis_flushed_mid_period_rebuilds_from_the_ledger_and_the_cap_holds(tenant_a, counters, after_commit):
    make_budget(tenant_a, token_limit=100)
    with tenant_context(tenant_a.id):
        reservation = budget_reserve(
            tenant_id=tenant_a.id, feature="", tokens=70, cost_usd=Decimal(0), counters=counters
        )
        with after_commit(execute=True):  # Redis counts once the ledger commits
            budget_settle(
                reservation=reservation, inference_id=uuid.uuid4(), tokens=70, cost_usd=Decimal(0), counters=counters
            )
        for key in counters._client.scan_iter("budget:*"):
            counters._client.delete(key)
        assert budget_reserve(
            tenant_id=tenant_a.id, feature="", tokens=40, cost_usd=Decimal(0), counters=counters
        ).skip_models
        period = BudgetPeriod.objects.get()
    assert counters.usage(period.id).used_tokens == 70


def test_rollover_twice_at_once_opens_one_period(tenant_a, transactional_db):
    make_budget(tenant_a, period=Budget.Period.DAILY)
    errors = []

    def run():
        try:
            with platform_access(actor="test", reason="rollover"):
                budgets_rollover(moment=dt.datetime(2031, 5, 2, 0, 0, 1, tzinfo=dt.UTC))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with platform_access(actor="test", reason="check"):
        starts = list(BudgetPeriod.objects.values_list("starts_at", flat=True))
    assert starts.count(dt.datetime(2031, 5, 2, tzinfo=dt.UTC)) == 1


def test_a_settlement_after_rollover_is_charged_to_the_period_it_was_reserved_in(tenant_a, counters, after_commit):
    make_budget(tenant_a, period=Budget.Period.DAILY)
    with tenant_context(tenant_a.id):
        reservation = budget_reserve(
            tenant_id=tenant_a.id, feature="", tokens=50, cost_usd=Decimal(0), counters=counters
        )
        reserved_in = reservation.periods[0]
        budgets_rollover(moment=reserved_in.ends_at + dt.timedelta(seconds=1))  # the next day opens
        with after_commit(execute=True):  # Redis counts once the ledger commits
            budget_settle(
                reservation=reservation, inference_id=uuid.uuid4(), tokens=50, cost_usd=Decimal(0), counters=counters
            )
        assert BudgetPeriod.objects.count() == 2
        assert list(BudgetLedgerEntry.objects.values_list("period_id", flat=True)) == [reserved_in.id]


def test_period_bounds():
    moment = dt.datetime(2030, 2, 17, 15, 30, tzinfo=dt.UTC)
    assert period_bounds("monthly", moment) == (
        dt.datetime(2030, 2, 1, tzinfo=dt.UTC),
        dt.datetime(2030, 3, 1, tzinfo=dt.UTC),
    )
    assert period_bounds("daily", moment) == (
        dt.datetime(2030, 2, 17, tzinfo=dt.UTC),
        dt.datetime(2030, 2, 18, tzinfo=dt.UTC),
    )


def test_hard_cap_degrades_to_deterministic_with_attempt_outcome_budget(client_a, tenant_a, catalog, counters):
    make_budget(tenant_a, token_limit=10)
    example = Capability.objects.get(pk="pricing.suggest").examples[0]
    body = client_a.post(
        "/api/v1/ai/complete", {"capability": "pricing.suggest", "input": example}, format="json"
    ).json()
    assert body["degraded"] is True
    assert [a["outcome"] for a in body["provenance"]["attempts"]] == ["budget", "budget", "budget", "ok"]


def test_budgets_endpoint_shows_usage_and_caps_and_admin_api_sets_them(client_a, client_b, tenant_a, catalog, counters):
    response = client_a.put(
        "/api/v1/admin/budgets", {"feature": "pricing", "token_limit": 5000, "soft_cap_pct": 70}, format="json"
    )
    assert response.status_code == 200
    rows = client_a.get("/api/v1/ai/budgets").json()
    assert [(r["feature"], r["token_limit"], r["soft_cap_pct"], r["used_tokens"]) for r in rows] == [
        ("pricing", 5000, 70, 0)
    ]
    assert client_b.get("/api/v1/ai/budgets").json() == []
    bad = client_a.put("/api/v1/admin/budgets", {"soft_cap_pct": 90, "hard_cap_pct": 80}, format="json")
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_request")


def test_usage_facts_and_ledger_agree_through_the_pipeline(
    client_a, tenant_a, catalog, counters, providers_ready, after_commit
):
    make_budget(tenant_a, token_limit=100_000)
    example = Capability.objects.get(pk="pricing.suggest").examples[0]
    for occupancy in (10, 20, 30):
        with after_commit(execute=True):
            client_a.post(
                "/api/v1/ai/complete",
                {"capability": "pricing.suggest", "input": example | {"occupancy_pct": occupancy}},
                format="json",
            )
    with tenant_context(tenant_a.id):
        ledger = sum(BudgetLedgerEntry.objects.values_list("tokens", flat=True))
        facts = sum(f.input_tokens + f.output_tokens for f in UsageFact.objects.all())
        period = BudgetPeriod.objects.get()
    assert ledger == facts == counters.usage(period.id).used_tokens > 0


def test_spend_and_remaining_budget_are_prometheus_metrics(metrics_scraper, tenant_a, counters, after_commit):
    make_budget(tenant_a, feature="pricing", token_limit=1000)
    with tenant_context(tenant_a.id):
        reservation = budget_reserve(
            tenant_id=tenant_a.id, feature="pricing", tokens=300, cost_usd=Decimal("0.5"), counters=counters
        )
        with after_commit(execute=True):  # Redis counts once the ledger commits
            budget_settle(
                reservation=reservation,
                inference_id=uuid.uuid4(),
                tokens=250,
                cost_usd=Decimal("0.25"),
                counters=counters,
            )
    text = metrics_scraper.get("/metrics").content.decode()
    labels = f'{{feature="pricing",tenant="{tenant_a.id}"}}'
    assert f"melmastoon_budget_used_tokens{labels} 250.0" in text
    assert f"melmastoon_budget_remaining_tokens{labels} 750.0" in text
    assert f"melmastoon_budget_spend_usd{labels} 0.25" in text


def test_a_rolled_back_settlement_is_never_counted_in_redis(tenant_a, counters, after_commit):
    """The ledger is the truth: usage reaches the Redis counters only when its ledger rows commit."""
    make_budget(tenant_a, token_limit=1000)

    class Abort(Exception):
        pass

    with tenant_context(tenant_a.id):
        reservation = budget_reserve(
            tenant_id=tenant_a.id, feature="", tokens=100, cost_usd=Decimal(0), counters=counters
        )
        period = reservation.periods[0]
    with after_commit(execute=True):  # what does commit runs; what rolls back is dropped
        try:
            with tenant_context(tenant_a.id):
                budget_settle(
                    reservation=reservation,
                    inference_id=uuid.uuid4(),
                    tokens=90,
                    cost_usd=Decimal(0),
                    counters=counters,
                )
                raise Abort
        except Abort:
            pass
    assert counters.usage(period.id).used_tokens == 0
    with tenant_context(tenant_a.id):
        assert not BudgetLedgerEntry.objects.exists()
