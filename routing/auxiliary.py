"""A capability's pre-steps (`auxiliary_models`): Document AI reads an ID document before the OCR
prompt, Speech-to-Text hears a voice note before the STT prompt.

Each is walked like a model of the chain: skipped when not configured, switched off, outside the
capability's allowed providers or the tenant's residency, or its circuit is open; otherwise
called with the attempt's timeout through `routing.attempts.call_provider`, its outcome recorded
as an attempt (which the routing decision keeps with the chain's) and on the provider's circuit
breaker. The first that answers
gives the text the prompt is rendered with; none answering leaves the capability to its fallback.
What it was billed (per page, per billed minute: the model's price_unit) is added to the answer's cost.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from routing.attempts import call_provider
from routing.breakers import CircuitBreakers
from routing.providers.base import AuxiliaryAdapter, AuxiliaryRequest, AuxiliaryResult, MediaItem
from routing.providers.registry import adapter_for
from routing.router import MIN_ATTEMPT_SECONDS, Attempt, RoutePlan, breaker_name, cost_of_units, skip_reason
from routing.selectors import model_get


@dataclass
class AuxiliaryOutcome:
    result: AuxiliaryResult | None = None
    model: str = ""
    attempts: list[Attempt] = field(default_factory=list)
    seconds: float = 0.0  # spent waiting on the pre-step's providers
    cost_usd: Decimal = Decimal(0)  # what the service that answered billed (its pages, minutes...)


def run_auxiliary(
    *,
    models: tuple[str, ...],
    plan: RoutePlan,
    media: MediaItem,
    payload: dict,
    phrase_hints: tuple[str, ...] = (),
    breakers: CircuitBreakers | None = None,
    budget_seconds: float | None = None,
) -> AuxiliaryOutcome:
    """`budget_seconds`: what the pre-step may take of the request's deadline (the rest is the chain's)."""
    outcome = AuxiliaryOutcome()
    deadline = time.perf_counter() + (budget_seconds if budget_seconds is not None else plan.timeout_seconds)
    for name in models:
        model = model_get(name=name)
        skip = skip_reason(plan, model)
        if model is None or skip is not None:
            outcome.attempts.append(Attempt(model.provider if model else "unknown", name, skip or "not_configured"))
            continue
        adapter = cast(AuxiliaryAdapter, adapter_for(model.provider))  # skip_reason: it exists and is configured
        timeout = min(plan.timeout_seconds, deadline - time.perf_counter())
        if timeout < MIN_ATTEMPT_SECONDS:
            outcome.attempts.append(Attempt(model.provider, name, "timeout", 0, "request deadline reached"))
            break
        request = AuxiliaryRequest(
            capability_id=plan.capability_id,
            model=name,
            media=media,
            payload=payload,
            timeout_seconds=timeout,
            context=plan.context,
            phrase_hints=phrase_hints,
        )
        called = call_provider(
            functools.partial(adapter.extract, request),
            provider=model.provider,
            model=name,
            breakers=breakers,
            breaker=breaker_name(model),
        )
        outcome.attempts.append(called.attempt)
        outcome.seconds += called.seconds
        if called.value is not None:
            outcome.result, outcome.model = called.value, name
            outcome.cost_usd = cost_of_units(model, called.value.billed_units)
            return outcome
    return outcome


def unread_attempts(models: tuple[str, ...], plan: RoutePlan) -> tuple[Attempt, ...]:
    """The pre-steps as attempts when there was no media to give them (a reference nothing here can
    read): skipped for their own reason if they have one, else an error that names the media."""
    attempts = []
    for name in models:
        model = model_get(name=name)
        skip = skip_reason(plan, model)
        attempts.append(
            Attempt(model.provider if model else "unknown", name, skip or "error", 0, "" if skip else "no_media")
        )
    return tuple(attempts)
