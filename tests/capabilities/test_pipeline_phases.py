"""The three phases of `complete` (prepare, call, persist): a failure in any of them leaves no
half-written record, gives the budget reservation back and frees the Idempotency-Key."""

from __future__ import annotations

from decimal import Decimal

import pytest

from budgets.counters import BudgetCounters
from budgets.models import Budget, BudgetLedgerEntry, BudgetPeriod
from capabilities import pipeline
from capabilities.models import Capability, IdempotencyRecord, InferenceRecord, UsageFact
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.tenancy.context import tenant_context
from routing.models import RoutingDecision


class InjectedFault(RuntimeError):
    pass


@pytest.fixture
def budgeted(tenant_a, catalog):
    with tenant_context(tenant_a.id):
        Budget.objects.create(tenant=tenant_a, token_limit=100_000, cost_limit_usd=Decimal(10))
    return tenant_a


def _request(key: str | None = "fault-1") -> pipeline.CompletionRequest:
    example = Capability.objects.get(pk="pricing.suggest").examples[0]
    return pipeline.CompletionRequest(
        capability="pricing.suggest",
        input=example,
        context={"feature": "pricing"},
        request_id="req-fault",
        idempotency_key=key,
    )


def _nothing_left(tenant) -> None:
    with tenant_context(tenant.id):
        assert not InferenceRecord.objects.exists()
        assert not UsageFact.objects.exists()
        assert not RoutingDecision.objects.exists()
        assert not BudgetLedgerEntry.objects.exists()
        assert not OutboxEvent.objects.filter(topic="inference.completed").exists()
        assert not IdempotencyRecord.objects.exists()  # the key is free for a retry
        period = BudgetPeriod.objects.get()
    usage = BudgetCounters().usage(period.id)
    assert (usage.reserved_tokens, usage.used_tokens) == (0, 0)


@pytest.mark.parametrize(
    "phase, target",
    [
        ("call", "walk_chain"),  # the provider phase dies (no transaction is open)
        ("persist", "open_gate_if_required"),  # the persist transaction dies after the record's insert
    ],
)
def test_a_fault_in_a_phase_leaves_nothing_half_written(budgeted, monkeypatch, phase, target):
    def fault(*args, **kwargs):
        raise InjectedFault(phase)

    monkeypatch.setattr(pipeline, target, fault)
    with pytest.raises(InjectedFault):
        pipeline.complete(_request(), tenant=budgeted)
    _nothing_left(budgeted)


def test_after_a_fault_the_same_idempotency_key_runs_again(budgeted, monkeypatch):
    real = pipeline.walk_chain
    monkeypatch.setattr(pipeline, "walk_chain", lambda *a, **k: (_ for _ in ()).throw(InjectedFault("once")))
    with pytest.raises(InjectedFault):
        pipeline.complete(_request(), tenant=budgeted)
    monkeypatch.setattr(pipeline, "walk_chain", real)
    outcome = pipeline.complete(_request(), tenant=budgeted)
    assert outcome.status == 200 and not outcome.replayed
    with tenant_context(budgeted.id):
        assert IdempotencyRecord.objects.get(key="fault-1").state == "completed"


def test_a_blocked_input_is_recorded_and_refused_without_a_reservation(budgeted):
    from capabilities.errors import ContentBlocked
    from capabilities.models import ModerationBlock

    request = pipeline.CompletionRequest(
        capability="tutor.answer",
        input={"question": "I am going to kill the night manager tonight", "locale": "en"},
        context={"feature": "tutor"},
        request_id="req-blocked",
        idempotency_key="blocked-1",
    )
    with pytest.raises(ContentBlocked):
        pipeline.complete(request, tenant=budgeted)
    with tenant_context(budgeted.id):
        assert ModerationBlock.objects.filter(request_id="req-blocked").count() == 1
        assert not IdempotencyRecord.objects.exists()
        assert not BudgetPeriod.objects.exists()  # refused before the budget was asked
