"""Drift detection: the nightly re-run against its baseline run, and production signals over a
rolling window. A regression injected into the fake model raises an alert and an outbox event;
noise within the tolerance does not."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from capabilities.models import InferenceRecord
from evals.models import DriftAlert, EvalRun, EvalSuite
from evals.services.drift import (
    DRIFT_TOPIC,
    drift_check_production,
    drift_schedule_runs,
    eval_breaches,
    signal_breaches,
)
from evals.services.runs import eval_run_create, eval_run_execute
from evals.tasks import drift_nightly
from hitl.models import HitlGate
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.tenancy.context import platform_access, tenant_context
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


def drift_events() -> list[OutboxEvent]:
    with platform_access(actor="test", reason="read drift events"):
        return list(OutboxEvent.objects.filter(topic=DRIFT_TOPIC))


@pytest.fixture
def baseline(fakes, pricing_suite, active_pricing) -> EvalRun:
    return eval_run_execute(run_id=eval_run_create(suite_key=pricing_suite.key, enqueue=False).id)


def test_a_regression_of_the_model_raises_an_alert_and_an_event(fakes, pricing_suite, baseline):
    [drift_run] = drift_schedule_runs()
    assert (drift_run.purpose, drift_run.baseline, drift_run.prompt_version) == (
        "drift",
        baseline,
        baseline.prompt_version,
    )
    fakes["vertex"].script(times=None, degraded=True)  # the provider's model got worse overnight
    finished = eval_run_execute(run_id=drift_run.id)
    assert finished.metrics["mape"] == pytest.approx(0.526)
    alerts = {alert.metric: alert for alert in DriftAlert.objects.filter(suite=pricing_suite)}
    assert set(alerts) >= {"mape", "pass_rate"}
    assert (alerts["mape"].kind, alerts["mape"].baseline_value, alerts["mape"].tolerance) == (
        "eval",
        pytest.approx(0.11),
        0.02,
    )
    assert alerts["mape"].observed_value == pytest.approx(0.526)
    assert (alerts["mape"].run, alerts["mape"].baseline_run) == (finished, baseline)
    [event] = drift_events()
    assert event.tenant_id is None  # a platform event
    assert event.payload["suite"] == pricing_suite.key and event.payload["kind"] == "eval"
    assert {breach["metric"] for breach in event.payload["breaches"]} == set(alerts)


def test_a_rerun_within_tolerance_raises_nothing(fakes, pricing_suite, baseline):
    [drift_run] = drift_schedule_runs()
    finished = eval_run_execute(run_id=drift_run.id)
    assert finished.metrics["mape"] == pytest.approx(baseline.metrics["mape"])
    assert DriftAlert.objects.count() == 0 and drift_events() == []


def test_noise_inside_the_tolerance_is_not_a_breach_and_beyond_it_is():
    tolerances, thresholds = {"mape": 0.02, "recall": 0.05}, {"mape": {"max": 0.2}}
    calm = eval_breaches(
        observed={"mape": 0.125, "recall": 0.86},
        baseline={"mape": 0.11, "recall": 0.9},
        tolerances=tolerances,
        thresholds=thresholds,
    )
    assert calm == []
    rough = eval_breaches(
        observed={"mape": 0.135, "recall": 0.84},
        baseline={"mape": 0.11, "recall": 0.9},
        tolerances=tolerances,
        thresholds=thresholds,
    )
    assert {breach["metric"] for breach in rough} == {"mape", "recall"}
    better = eval_breaches(observed={"mape": 0.05}, baseline={"mape": 0.11}, tolerances=tolerances, thresholds={})
    assert better == []


def test_an_open_alert_is_not_raised_twice(fakes, pricing_suite, baseline):
    fakes["vertex"].script(times=None, degraded=True)
    for _ in range(2):
        [drift_run] = drift_schedule_runs()
        eval_run_execute(run_id=drift_run.id)
    assert DriftAlert.objects.filter(metric="mape").count() == 1 and len(drift_events()) == 1


def test_no_drift_run_without_a_baseline(fakes, pricing_suite, active_pricing):
    assert drift_schedule_runs() == []


def test_the_nightly_task_queues_drift_runs_and_checks_production(
    fakes, pricing_suite, baseline, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr("evals.tasks.execute_run.delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        result = drift_nightly()
    assert len(result["drift_runs"]) == 1 and queued == result["drift_runs"]
    assert result["production_alerts"] == 0


# --- production signals ------------------------------------------------------------------------

NOW = timezone.now()


def record(
    tenant, *, days_ago: float, fallback: bool = False, repaired: bool = False, capability: str = "pricing.suggest"
) -> InferenceRecord:
    return InferenceRecord.objects.create(
        tenant=tenant,
        request_id=f"req-{uuid.uuid4().hex[:8]}",
        capability=capability,
        capability_version="1.0.0",
        provider="deterministic" if fallback else "vertex",
        model="gemini-1.5-flash",
        input_hash="sha256:x",
        output_hash="sha256:y",
        input_redacted={},
        output={},
        created_at=NOW - dt.timedelta(days=days_ago),
        provenance={"fallback_used": fallback, "repaired": repaired},
    )


def traffic(tenant, *, days_ago: float, total: int, fallbacks: int, repairs: int = 0) -> None:
    with tenant_context(tenant.id):
        for i in range(total):
            record(tenant, days_ago=days_ago, fallback=i < fallbacks, repaired=i < repairs)


@pytest.fixture
def hotel(catalog):
    return TenantFactory(name="Hotel Herat")


def test_a_fallback_rate_jump_in_production_raises_an_alert(hotel, settings, pricing_suite):
    settings.EVAL_DRIFT_MIN_SAMPLES = 20
    traffic(hotel, days_ago=20, total=40, fallbacks=2)  # the baseline window: 5 %
    traffic(hotel, days_ago=2, total=40, fallbacks=10)  # this week: 25 %
    alerts = drift_check_production(now=NOW)
    fallback = [alert for alert in alerts if alert.metric == "fallback_rate"]
    assert {alert.suite.capability_id for alert in fallback} == {"pricing.suggest"}
    assert (fallback[0].baseline_value, fallback[0].observed_value, fallback[0].kind) == (0.05, 0.25, "production")
    assert fallback[0].details["samples"] == 40
    assert any(event.payload["kind"] == "production" for event in drift_events())


def test_production_noise_within_tolerance_raises_nothing(hotel, settings, pricing_suite):
    settings.EVAL_DRIFT_MIN_SAMPLES = 20
    traffic(hotel, days_ago=20, total=40, fallbacks=2, repairs=1)  # 5 %, 2.5 %
    traffic(hotel, days_ago=2, total=40, fallbacks=3, repairs=2)  # 7.5 %, 5 %: within 5 points
    assert drift_check_production(now=NOW) == []


def test_too_few_samples_are_not_judged(hotel, settings, pricing_suite):
    settings.EVAL_DRIFT_MIN_SAMPLES = 30
    traffic(hotel, days_ago=20, total=10, fallbacks=0)
    traffic(hotel, days_ago=2, total=10, fallbacks=10)
    assert drift_check_production(now=NOW) == []


def test_the_eval_tenants_own_traffic_is_not_production(fakes, pricing_suite, settings, baseline):
    settings.EVAL_DRIFT_MIN_SAMPLES = 1
    fakes["vertex"].script(times=None, status=503)
    fakes["openai"].script(times=None, status=503)
    fakes["anthropic"].script(times=None, status=503)
    eval_run_execute(run_id=eval_run_create(suite_key=pricing_suite.key, enqueue=False).id)  # all fallbacks
    assert drift_check_production(now=timezone.now() + dt.timedelta(seconds=1)) == []


def test_hitl_acceptance_falling_beyond_tolerance_is_a_breach(hotel, settings, catalog):
    settings.EVAL_DRIFT_MIN_SAMPLES = 20
    EvalSuite.objects.get_or_create(key="EVAL_MSG_001", defaults={"capability_id": "message.draft"})
    with tenant_context(hotel.id):
        for days_ago, approved, total in ((20, 36, 40), (2, 24, 40)):  # 90 % -> 60 %
            for i in range(total):
                rec = record(hotel, days_ago=days_ago, capability="message.draft")
                HitlGate.objects.create(
                    tenant=hotel,
                    inference=rec,
                    capability="message.draft",
                    reason="always",
                    reviewer_group="fd",
                    draft_output={},
                    sla_due_at=rec.created_at,
                    opened_at=rec.created_at,
                    decided_at=rec.created_at + dt.timedelta(minutes=5),
                    status=HitlGate.Status.APPROVED if i < approved else HitlGate.Status.REJECTED,
                )
    alerts = [alert for alert in drift_check_production(now=NOW) if alert.metric == "hitl_acceptance_rate"]
    assert len(alerts) == 1 and (alerts[0].baseline_value, alerts[0].observed_value) == (0.9, 0.6)


def test_signal_breaches_compare_in_each_signals_direction():
    def rates(acceptance, repair, fallback):
        return {
            "hitl_acceptance_rate": {"rate": acceptance, "samples": 50},
            "schema_repair_rate": {"rate": repair, "samples": 50},
            "fallback_rate": {"rate": fallback, "samples": 50},
        }

    previous, current = rates(0.9, 0.1, 0.1), rates(0.95, 0.0, 0.0)
    tolerances = {"hitl_acceptance_rate": 0.1, "schema_repair_rate": 0.05, "fallback_rate": 0.05}
    assert signal_breaches(current=current, previous=previous, tolerances=tolerances, min_samples=10) == []
    assert [
        b["metric"] for b in signal_breaches(current=previous, previous=current, tolerances=tolerances, min_samples=10)
    ] == ["schema_repair_rate", "fallback_rate"]
