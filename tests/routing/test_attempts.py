"""routing.attempts.call_provider: the one way every caller makes a provider call."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction

from routing.attempts import CALLS_IN_TRANSACTION, ProviderCallInTransaction, call_provider
from routing.breakers import BreakerConfig, CircuitBreakers
from routing.providers.base import ProviderError


@pytest.fixture
def breakers():
    instance = CircuitBreakers(BreakerConfig(failure_threshold=3, cooldown_seconds=30, probe_lease_seconds=30))
    name = f"attempts-test-{uuid.uuid4().hex[:8]}"
    yield instance, name
    instance._client.delete(instance.key(name))


def _fail(kind: str):
    def call():
        raise ProviderError(kind, f"scripted {kind}", retryable=kind != "bad_request")

    return call


def test_a_success_is_an_ok_attempt_with_its_value(breakers):
    instance, name = breakers
    called = call_provider(lambda: 42, provider="vertex", model="m", breakers=instance, breaker=name)
    assert (called.ok, called.value, called.error) == (True, 42, None)
    assert called.attempt.as_dict()["outcome"] == "ok"


def test_provider_faults_open_the_circuit_and_an_open_circuit_is_not_called(breakers):
    instance, name = breakers
    outcomes = [
        call_provider(_fail(kind), provider="vertex", model="m", breakers=instance, breaker=name).attempt.outcome
        for kind in ("timeout", "server", "unavailable")
    ]
    assert outcomes == ["timeout", "error", "error"]
    assert instance.state(name) == "open"
    calls = []
    called = call_provider(lambda: calls.append(1), provider="vertex", model="m", breakers=instance, breaker=name)
    assert called.attempt.outcome == "circuit_open" and calls == [] and called.value is None


def test_a_bad_request_never_counts_against_the_provider(breakers):
    """Five malformed /embed calls must not open Vertex for every tenant's completions (issue 16)."""
    instance, name = breakers
    for _ in range(5):
        called = call_provider(_fail("bad_request"), provider="vertex", model="m", breakers=instance, breaker=name)
        assert (called.attempt.outcome, called.attempt.detail, called.error.kind) == (
            "error",
            "bad_request",
            "bad_request",
        )
    assert instance.state(name) == "closed"


def test_without_a_breaker_nothing_is_gated_or_counted(breakers):
    instance, name = breakers
    for _ in range(4):
        call_provider(_fail("timeout"), provider="deterministic", model="m", breakers=instance, breaker=None)
    assert instance.state(name) == "closed"


def test_an_error_that_is_not_the_providers_propagates():
    with pytest.raises(KeyError):
        call_provider(lambda: {}["missing"], provider="vertex", model="m")


@pytest.mark.django_db
def test_a_provider_called_inside_a_transaction_fails_the_test_and_is_counted():
    """The serving rule, enforced where every provider call passes (the test case's own wrapping
    transaction does not count; one the code opens does)."""
    assert call_provider(lambda: "fine", provider="vertex", model="m").value == "fine"
    counted = CALLS_IN_TRANSACTION.labels(provider="vertex")._value.get()
    calls = []
    with pytest.raises(ProviderCallInTransaction), transaction.atomic():
        call_provider(lambda: calls.append(1), provider="vertex", model="m")
    assert calls == []
    assert CALLS_IN_TRANSACTION.labels(provider="vertex")._value.get() == counted + 1


@pytest.mark.django_db
def test_in_production_a_call_inside_a_transaction_is_logged_and_made(settings, caplog):
    settings.PROVIDER_CALL_IN_TRANSACTION = "warn"
    with transaction.atomic():
        called = call_provider(lambda: "made", provider="openai", model="m")
    assert called.value == "made"
    assert "called inside a database transaction" in caplog.text


@pytest.mark.django_db
def test_the_in_process_fallback_is_not_a_wait_and_may_run_anywhere():
    with transaction.atomic():
        called = call_provider(lambda: "local", provider="deterministic", model="m", provider_time=False)
    assert called.value == "local"
