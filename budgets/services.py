"""Reserve before a model call, settle after it, against the tenant's and the feature's budgets."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

import redis
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from budgets.counters import BudgetCounters, Limits, Usage
from budgets.models import Budget, BudgetLedgerEntry, BudgetPeriod
from budgets.selectors import budgets_for
from melmastoon_ai.outbox.services import outbox_emit
from melmastoon_ai.tenancy.context import tenant_context

logger = logging.getLogger(__name__)
MICROS = Decimal(1_000_000)


def period_bounds(kind: str, moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    moment = moment.astimezone(dt.UTC)
    if kind == Budget.Period.DAILY:
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return start, start + dt.timedelta(days=1)
    start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return start, (start + dt.timedelta(days=32)).replace(day=1)


# Periods never change once opened: a process remembers each it has seen (budget, start) -> row.
_KNOWN_PERIODS: dict[tuple[str, dt.datetime], BudgetPeriod] = {}
_KNOWN_PERIODS_MAX = 10_000


def current_period(*, budget: Budget, moment: dt.datetime | None = None) -> BudgetPeriod:
    """`period_open` without a database read when this process has seen the period before (the hot
    path: every request); opening one runs in its own short tenant transaction."""
    starts_at, _ = period_bounds(budget.period, moment or timezone.now())
    key = (str(budget.id), starts_at)
    period = _KNOWN_PERIODS.get(key)
    if period is None:
        with tenant_context(budget.tenant_id):
            period = period_open(budget=budget, moment=moment)
        if len(_KNOWN_PERIODS) >= _KNOWN_PERIODS_MAX:
            _KNOWN_PERIODS.clear()
        _KNOWN_PERIODS[key] = period
    return period


def period_open(*, budget: Budget, moment: dt.datetime | None = None) -> BudgetPeriod:
    """The budget's period containing `moment`, created once even when several processes race."""
    starts_at, ends_at = period_bounds(budget.period, moment or timezone.now())
    period = BudgetPeriod.objects.filter(tenant_id=budget.tenant_id, budget=budget, starts_at=starts_at).first()
    if period is not None:
        return period
    try:
        with transaction.atomic():
            return BudgetPeriod.objects.create(
                tenant_id=budget.tenant_id, budget=budget, starts_at=starts_at, ends_at=ends_at
            )
    except IntegrityError:
        return BudgetPeriod.objects.get(tenant_id=budget.tenant_id, budget=budget, starts_at=starts_at)


def _limits(budget: Budget, pct: int) -> Limits:
    tokens = None if budget.token_limit is None else budget.token_limit * pct // 100
    micros = None if budget.cost_limit_usd is None else int(budget.cost_limit_usd * MICROS * pct / 100)
    return Limits(tokens, micros)


def _ledger_usage(period: BudgetPeriod) -> tuple[int, int]:
    """(tokens, micro-dollars) charged to the period: the durable truth."""
    with tenant_context(period.tenant_id):
        totals = period.ledger.aggregate(tokens=Sum("tokens"), cost=Sum("cost_usd"))
    return int(totals["tokens"] or 0), int((totals["cost"] or Decimal(0)) * MICROS)


# Periods whose Redis counters missed a settlement while Redis was unreachable (this process):
# resynchronised from the ledger the next time Redis answers.
_STALE_PERIODS: set[int] = set()
_stale_lock = threading.Lock()


def ensure_counters(period: BudgetPeriod, counters: BudgetCounters) -> None:
    """Redis lost the period (restart, flush), or missed settlements while it was unreachable:
    rebuild it from the ledger, the durable truth. Raises RedisError when Redis is down."""
    with _stale_lock:
        stale = period.id in _STALE_PERIODS
    if stale:
        tokens, micros = _ledger_usage(period)
        counters.resync(period.id, used_tokens=tokens, used_micros=micros)
        with _stale_lock:
            _STALE_PERIODS.discard(period.id)
        logger.info("budget counters resynchronised from the ledger", extra={"period_id": period.id})
        return
    if counters.exists(period.id):
        return
    tokens, micros = _ledger_usage(period)
    counters.rebuild(period.id, used_tokens=tokens, used_micros=micros)


def period_usage(period: BudgetPeriod, counters: BudgetCounters) -> Usage:
    """The period's usage from Redis (with what is reserved), or from the ledger when Redis is down."""
    try:
        ensure_counters(period, counters)
        return counters.usage(period.id)
    except redis.RedisError:
        tokens, micros = _ledger_usage(period)
        return Usage(used_tokens=tokens, reserved_tokens=0, used_micros=micros, reserved_micros=0)


@dataclass
class Reservation:
    tenant_id: uuid.UUID
    periods: list[BudgetPeriod]
    reservation_id: str = ""  # empty when reserved against the ledger (Redis was down)
    skip_models: bool = False
    budgets: dict[int, Budget] = field(default_factory=dict)


def _emit_cap(period: BudgetPeriod, budget: Budget, cap: str) -> None:
    """Once per budget per period: the conditional UPDATE lets exactly one request through."""
    column = f"{cap}_cap_notified_at"
    with tenant_context(budget.tenant_id):
        if not BudgetPeriod.objects.filter(
            tenant_id=budget.tenant_id, pk=period.pk, **{f"{column}__isnull": True}
        ).update(**{column: timezone.now()}):
            return
        outbox_emit(
            topic=f"budget.{cap}_cap_reached",
            key=str(budget.id),
            tenant_id=budget.tenant_id,
            payload={
                "budget_id": str(budget.id),
                "feature": budget.feature,
                "period_start": period.starts_at.isoformat(),
                "token_limit": budget.token_limit,
                "cost_limit_usd": None if budget.cost_limit_usd is None else str(budget.cost_limit_usd),
            },
        )


def _over(limits: Limits, tokens: int, micros: int) -> bool:
    return (limits.tokens is not None and tokens > limits.tokens) or (
        limits.micros is not None and micros > limits.micros
    )


def _reached(limits: Limits, tokens: int, micros: int) -> bool:
    return (limits.tokens is not None and tokens >= limits.tokens) or (
        limits.micros is not None and micros >= limits.micros
    )


def _first_full_by_ledger(periods: list[BudgetPeriod], budgets: list[Budget], tokens: int, micros: int) -> int:
    """Redis is down: the 1-based position of the first period this request would take past its soft
    cap by the ledger alone (requests in flight are invisible there, hence the soft cap), else 0."""
    for position, (period, budget) in enumerate(zip(periods, budgets, strict=True), start=1):
        used_tokens, used_micros = _ledger_usage(period)
        if _over(_limits(budget, budget.soft_cap_pct), used_tokens + tokens, used_micros + micros):
            return position
    return 0


def budget_reserve(
    *, tenant_id: uuid.UUID, feature: str, tokens: int, cost_usd: Decimal, counters: BudgetCounters | None = None
) -> Reservation | None:
    """None when the tenant has no budget; else a reservation, or `skip_models` past the hard cap.

    Redis down: the check runs against the ledger instead, and conservatively (what other
    requests hold in flight is invisible there): past the soft cap the models are skipped."""
    budgets = budgets_for(tenant_id=tenant_id, feature=feature)
    if not budgets:
        return None
    counters = counters or BudgetCounters()
    periods = [current_period(budget=budget) for budget in budgets]
    reservation = Reservation(
        tenant_id=tenant_id,
        periods=periods,
        budgets={period.id: budget for period, budget in zip(periods, budgets, strict=True)},
    )
    micros = int(cost_usd * MICROS)
    try:
        for period in periods:
            ensure_counters(period, counters)
        reservation_id = uuid.uuid4().hex
        full = counters.reserve(
            reservation_id=reservation_id,
            tokens=tokens,
            micros=micros,
            period_limits={
                period.id: _limits(budget, budget.hard_cap_pct) for period, budget in zip(periods, budgets, strict=True)
            },
        )
    except redis.RedisError:
        logger.warning("budget counters unavailable; checking the ledger", extra={"tenant_id": str(tenant_id)})
        full, reservation_id = _first_full_by_ledger(periods, budgets, tokens, micros), ""
    if full:
        reservation.skip_models = True
        _emit_cap(periods[full - 1], budgets[full - 1], "hard")
        return reservation
    reservation.reservation_id = reservation_id
    return reservation


def budget_settle(
    *,
    reservation: Reservation,
    inference_id: uuid.UUID,
    tokens: int,
    cost_usd: Decimal,
    counters: BudgetCounters | None = None,
    into: list | None = None,
) -> None:
    """Charge the actual usage to the periods reserved in (even after a rollover), in the caller's
    transaction: the ledger rows commit with the inference record. The Redis counters take the
    usage (and release the reservation) only once that commit has happened, so Redis never counts
    usage that was rolled back; a rollback leaves the reservation to the caller (`budget_release`)
    or to its expiry. The soft-cap event is decided here, from the usage this charge will make.
    Redis down at settlement: the ledger has it; the period's counters are rebuilt from the ledger
    when Redis answers again. `into`: the caller inserts the ledger rows with the rest of its change
    (melmastoon_ai/rows.py); else they are inserted here."""
    counters = counters or BudgetCounters()
    ledger = [
        BudgetLedgerEntry(
            tenant_id=reservation.tenant_id, period=period, inference_id=inference_id, tokens=tokens, cost_usd=cost_usd
        )
        for period in reservation.periods
    ]
    if into is None:
        BudgetLedgerEntry.objects.bulk_create(ledger)
    else:
        into.extend(ledger)
    micros = int(cost_usd * MICROS)
    for period in reservation.periods:
        budget = reservation.budgets[period.id]
        usage = period_usage(period, counters)
        if _reached(_limits(budget, budget.soft_cap_pct), usage.used_tokens + tokens, usage.used_micros + micros):
            _emit_cap(period, budget, "soft")
    period_ids = [p.id for p in reservation.periods]
    transaction.on_commit(lambda: _settle_counters(counters, reservation.reservation_id, period_ids, tokens, micros))


def _settle_counters(
    counters: BudgetCounters, reservation_id: str, period_ids: list[int], tokens: int, micros: int
) -> None:
    try:
        counters.settle(reservation_id=reservation_id, period_ids=period_ids, tokens=tokens, micros=micros)
    except redis.RedisError:
        logger.warning("budget counters unavailable at settlement; the ledger has it", extra={"period_ids": period_ids})
        with _stale_lock:
            _STALE_PERIODS.update(period_ids)


def budget_release(*, reservation: Reservation, counters: BudgetCounters | None = None) -> None:
    """Give a reservation back without charging it: the request was refused after reserving. With
    Redis down there is nothing to give back (or it expires by itself)."""
    if not reservation.reservation_id:
        return
    try:
        (counters or BudgetCounters()).settle(
            reservation_id=reservation.reservation_id,
            period_ids=[p.id for p in reservation.periods],
            tokens=0,
            micros=0,
        )
    except redis.RedisError:
        logger.warning("budget counters unavailable; the reservation expires by itself")


def tenant_budget_default(*, tenant) -> Budget:
    """A new tenant's monthly tenant-wide budget (settings.TENANT_SETUP): its `monthly_token_limit`
    as the hard cap, else the platform default, so no tenant is uncapped by accident."""
    limit = tenant.monthly_token_limit
    if limit is None:
        limit = settings.DEFAULT_TENANT_MONTHLY_TOKEN_LIMIT
    budget, _ = Budget.objects.get_or_create(
        tenant=tenant, feature="", defaults={"period": Budget.Period.MONTHLY, "token_limit": limit}
    )
    return budget


def budgets_rollover(*, moment: dt.datetime | None = None) -> int:
    """Open the current period of every enabled budget (beat calls it; safe to run twice at once)."""
    opened = 0
    for budget in Budget.objects.filter(enabled=True):
        starts_at, _ = period_bounds(budget.period, moment or timezone.now())
        existed = BudgetPeriod.objects.filter(tenant_id=budget.tenant_id, budget=budget, starts_at=starts_at).exists()
        period_open(budget=budget, moment=moment)
        opened += not existed
    return opened
