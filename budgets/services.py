"""Reserve before a model call, settle after it, against the tenant's and the feature's budgets."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from budgets.counters import BudgetCounters, Limits
from budgets.models import Budget, BudgetLedgerEntry, BudgetPeriod
from melmastoon_ai.outbox.services import outbox_emit

MICROS = Decimal(1_000_000)


def period_bounds(kind: str, moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    moment = moment.astimezone(dt.UTC)
    if kind == Budget.Period.DAILY:
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return start, start + dt.timedelta(days=1)
    start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return start, (start + dt.timedelta(days=32)).replace(day=1)


def period_open(*, budget: Budget, moment: dt.datetime | None = None) -> BudgetPeriod:
    """The budget's period containing `moment`, created once even when several processes race."""
    starts_at, ends_at = period_bounds(budget.period, moment or timezone.now())
    period = BudgetPeriod.objects.filter(budget=budget, starts_at=starts_at).first()
    if period is not None:
        return period
    try:
        with transaction.atomic():
            return BudgetPeriod.objects.create(tenant_id=budget.tenant_id, budget=budget, starts_at=starts_at,
                                               ends_at=ends_at)
    except IntegrityError:
        return BudgetPeriod.objects.get(budget=budget, starts_at=starts_at)


def _limits(budget: Budget, pct: int) -> Limits:
    tokens = None if budget.token_limit is None else budget.token_limit * pct // 100
    micros = None if budget.cost_limit_usd is None else int(budget.cost_limit_usd * MICROS * pct / 100)
    return Limits(tokens, micros)


def ensure_counters(period: BudgetPeriod, counters: BudgetCounters) -> None:
    """Redis lost the period (restart, flush): rebuild it from the ledger, the durable truth."""
    if counters.exists(period.id):
        return
    totals = period.ledger.aggregate(tokens=Sum("tokens"), cost=Sum("cost_usd"))
    counters.rebuild(period.id, used_tokens=int(totals["tokens"] or 0),
                     used_micros=int((totals["cost"] or Decimal(0)) * MICROS))


@dataclass
class Reservation:
    tenant_id: uuid.UUID
    periods: list[BudgetPeriod]
    reservation_id: str = ""
    skip_models: bool = False
    budgets: dict[int, Budget] = field(default_factory=dict)


def _emit_cap(period: BudgetPeriod, budget: Budget, cap: str) -> None:
    """Once per budget per period: the conditional UPDATE lets exactly one request through."""
    column = f"{cap}_cap_notified_at"
    if BudgetPeriod.objects.filter(pk=period.pk, **{f"{column}__isnull": True}).update(**{column: timezone.now()}):
        outbox_emit(topic=f"budget.{cap}_cap_reached", key=str(budget.id), tenant_id=budget.tenant_id,
                    payload={"budget_id": str(budget.id), "feature": budget.feature,
                             "period_start": period.starts_at.isoformat(), "token_limit": budget.token_limit,
                             "cost_limit_usd": None if budget.cost_limit_usd is None else str(budget.cost_limit_usd)})


def budget_reserve(*, tenant_id: uuid.UUID, feature: str, tokens: int, cost_usd: Decimal,
                   counters: BudgetCounters | None = None) -> Reservation | None:
    """None when the tenant has no budget; else a reservation, or `skip_models` past the hard cap."""
    budgets = list(Budget.objects.filter(tenant_id=tenant_id, enabled=True)
                   .filter(Q(feature="") | Q(feature=feature)))
    if not budgets:
        return None
    counters = counters or BudgetCounters()
    periods = [period_open(budget=budget) for budget in budgets]
    for period in periods:
        ensure_counters(period, counters)
    reservation = Reservation(tenant_id=tenant_id, periods=periods,
                              budgets={period.id: budget for period, budget in zip(periods, budgets, strict=True)})
    reservation_id = uuid.uuid4().hex
    hard_limits = {period.id: _limits(budget, budget.hard_cap_pct)
                   for period, budget in zip(periods, budgets, strict=True)}
    full = counters.reserve(reservation_id=reservation_id, tokens=tokens, micros=int(cost_usd * MICROS),
                            period_limits=hard_limits)
    if full:
        reservation.skip_models = True
        _emit_cap(periods[full - 1], budgets[full - 1], "hard")
        return reservation
    reservation.reservation_id = reservation_id
    return reservation


def budget_settle(*, reservation: Reservation, inference_id: uuid.UUID, tokens: int, cost_usd: Decimal,
                  counters: BudgetCounters | None = None) -> None:
    """Charge the actual usage to the periods reserved in (even after a rollover), in the caller's
    transaction: the ledger rows commit with the inference record. The Redis counters take the
    usage (and release the reservation) only once that commit has happened, so Redis never counts
    usage that was rolled back; a rollback leaves the reservation to the caller (`budget_release`)
    or to its expiry. The soft-cap event is decided here, from the usage this charge will make."""
    counters = counters or BudgetCounters()
    BudgetLedgerEntry.objects.bulk_create(
        BudgetLedgerEntry(tenant_id=reservation.tenant_id, period=period, inference_id=inference_id, tokens=tokens,
                          cost_usd=cost_usd) for period in reservation.periods
    )
    micros = int(cost_usd * MICROS)
    for period in reservation.periods:
        ensure_counters(period, counters)
        budget = reservation.budgets[period.id]
        soft = _limits(budget, budget.soft_cap_pct)
        usage = counters.usage(period.id)
        if (soft.tokens is not None and usage.used_tokens + tokens >= soft.tokens) or (
                soft.micros is not None and usage.used_micros + micros >= soft.micros):
            _emit_cap(period, budget, "soft")
    period_ids = [p.id for p in reservation.periods]
    transaction.on_commit(lambda: counters.settle(reservation_id=reservation.reservation_id, period_ids=period_ids,
                                                  tokens=tokens, micros=micros))


def budget_release(*, reservation: Reservation, counters: BudgetCounters | None = None) -> None:
    """Give a reservation back without charging it: the request was refused after reserving."""
    (counters or BudgetCounters()).settle(reservation_id=reservation.reservation_id,
                                          period_ids=[p.id for p in reservation.periods], tokens=0, micros=0)


def budgets_rollover(*, moment: dt.datetime | None = None) -> int:
    """Open the current period of every enabled budget (beat calls it; safe to run twice at once)."""
    opened = 0
    for budget in Budget.objects.filter(enabled=True):
        starts_at, _ = period_bounds(budget.period, moment or timezone.now())
        existed = BudgetPeriod.objects.filter(budget=budget, starts_at=starts_at).exists()
        period_open(budget=budget, moment=moment)
        opened += not existed
    return opened
