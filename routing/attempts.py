"""One call to one provider, made the same way by every caller: the router's chain (completions,
streams, repairs), embeddings (/embed and RAG), provider moderation, media reads and the
auxiliary pre-steps (OCR, speech, translation, vision).

`call_provider` owns what each of them used to do in its own loop:
- the circuit: a breaker that refuses is an attempt `circuit_open`, and the call is not made;
- the breaker accounting (`record_attempt`): a success closes, a provider fault counts, the
  request's own fault (`bad_request`, `refused`) does neither;
- the attempt record (provider, model, outcome ok / error / timeout, latency, the error kind);
- the trace span and the request's provider time (`timing`, the `Server-Timing` header);
- the serving rule of docs/architecture.md ("Serving"): no database transaction is open while a
  provider is waited on. A call made inside one is a defect: it raises in tests
  (`PROVIDER_CALL_IN_TRANSACTION = "raise"`) and is logged and counted in production ("warn"), so
  a regression is found by the suite, not by a connection pool running dry at peak.

What a caller does with an answer (judging it, repairing it, moving down its chain) stays its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.conf import settings
from django.db import connection
from prometheus_client import Counter

from melmastoon_ai.observability import timing, tracing
from routing.breakers import CircuitBreakers, record_attempt
from routing.providers.base import ProviderError

logger = logging.getLogger(__name__)
T = TypeVar("T")

CALLS_IN_TRANSACTION = Counter(
    "melmastoon_provider_calls_in_transaction_total",
    "Provider calls made while a database transaction was open (a serving defect: should stay 0)",
    ["provider"],
)


class ProviderCallInTransaction(RuntimeError):
    """A provider was called while this thread held a database transaction (tests only)."""


@dataclass
class Attempt:
    provider: str
    model: str
    outcome: str
    latency_ms: int = 0
    detail: str = ""

    def as_dict(self) -> dict:
        row = {"provider": self.provider, "model": self.model, "outcome": self.outcome, "latency_ms": self.latency_ms}
        if self.detail:
            row["detail"] = self.detail
        return row


@dataclass
class Called(Generic[T]):
    """What one call gave: the value (None when it failed or was not made), its attempt record,
    the seconds waited, and the provider's error when there was one."""

    value: T | None
    attempt: Attempt
    seconds: float = 0.0
    error: ProviderError | None = None

    @property
    def ok(self) -> bool:
        return self.attempt.outcome == "ok"


def held_transactions() -> int:
    """Transactions this thread holds open, the test case's own wrapper not counted."""
    return sum(1 for block in connection.atomic_blocks if not getattr(block, "_from_testcase", False))


def _check_no_transaction(provider: str) -> None:
    if not held_transactions():
        return
    CALLS_IN_TRANSACTION.labels(provider=provider).inc()
    message = f"{provider} called inside a database transaction: the request holds a connection while it waits"
    if settings.PROVIDER_CALL_IN_TRANSACTION == "raise":
        raise ProviderCallInTransaction(message)
    logger.warning(message, extra={"provider": provider})


def call_provider(
    call: Callable[[], T],
    *,
    provider: str,
    model: str,
    breakers: CircuitBreakers | None = None,
    breaker: str | None = None,
    provider_time: bool = True,
    span: Mapping[str, str] | None = None,
    gate: bool = True,
) -> Called[T]:
    """Make `call` as one attempt on `provider`/`model`.

    `breaker`: the circuit that gates and counts it (None: none, as for the in-process
    deterministic fallback); `provider_time`: the wait counts as provider time (the fallback's
    does not: it is the gateway's own CPU). Only ProviderError is an attempt's failure; anything
    else (a refusal of the request itself, a defect) propagates, with the time still counted.
    `gate=False`: the caller asked the circuit itself, just before (asking twice would spend a
    half-open circuit's one probe on the question)."""
    if gate and breakers is not None and breaker is not None and not breakers.allow(breaker):
        return Called(None, Attempt(provider, model, "circuit_open"))
    if provider_time:
        _check_no_transaction(provider)
    started = time.perf_counter()
    try:
        with tracing.client_span(
            f"provider {provider}", dict(span or {"gen_ai.system": provider, "gen_ai.request.model": model})
        ):
            value = call()
    except ProviderError as exc:
        seconds = time.perf_counter() - started
        outcome = "timeout" if exc.kind == "timeout" else "error"
        if breaker is not None:
            record_attempt(breakers, breaker, exc.kind)
        return Called(None, Attempt(provider, model, outcome, round(seconds * 1000), exc.kind), seconds, exc)
    finally:
        if provider_time:
            timing.add_provider_time((time.perf_counter() - started) * 1000)
    seconds = time.perf_counter() - started
    if breaker is not None:
        record_attempt(breakers, breaker, None)
    return Called(value, Attempt(provider, model, "ok", round(seconds * 1000)), seconds)
