"""A real Celery worker killed in the middle of an eval run (SIGKILL, as a crash or an OOM kill
would), then a new worker resumes it: every case is counted, evaluated and paid for once."""

from __future__ import annotations

import time

import pytest

from budgets.models import BudgetLedgerEntry
from capabilities.models import InferenceRecord
from evals.models import EvalCaseResult, EvalRun, EvalSuite, GoldenCase
from evals.services.runs import eval_run_create, eval_runs_resume_stale, eval_tenant
from evals.tasks import execute_run
from melmastoon_ai.tenancy.context import tenant_context
from tests.e2e.conftest import running_worker
from tests.evals.conftest import pricing_input
from tests.routing.providers.support import FAKE_PROJECT, FAKE_VERTEX_TOKEN

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
CASES = 10


def wait_for(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_run_survives_a_worker_killed_mid_way_without_double_counting(catalog, vertex_fake):
    suite = EvalSuite.objects.create(
        key="EVAL_TEST_RESUME",
        capability_id="pricing.suggest",
        metrics=["schema_valid_rate", "mape", "pass_rate"],
        config={"numeric_field": "suggested_price.amount"},
    )
    for i in range(CASES):
        GoldenCase.objects.create(
            suite=suite, key=f"case-{i:02d}", input=pricing_input(100.0 + i, 60, 20), expected={"number": 100.0 + i}
        )
    vertex_fake.script(times=None, latency_ms=300)  # slow enough to kill the worker between cases
    env = {
        "VERTEX_BASE_URL": vertex_fake.base_url,
        "VERTEX_PROJECT": FAKE_PROJECT,
        "VERTEX_ACCESS_TOKEN": FAKE_VERTEX_TOKEN,
        "VERTEX_LOCATION": "europe-west1",
    }
    run = eval_run_create(suite_key=suite.key, enqueue=False)
    results = EvalCaseResult.objects.filter(run=run)

    with running_worker(**env) as worker:
        execute_run.delay(str(run.id))
        wait_for(lambda: results.count() >= 3, timeout=90, what="three cases")
        worker.kill()  # SIGKILL: no shutdown, the case in flight dies with its transaction
        worker.wait(15)
    done_before = results.count()
    assert 3 <= done_before < CASES
    assert EvalRun.objects.get(pk=run.pk).status == "running"

    # what the beat task `evals.resume_stale` does once the run's heartbeat is old
    assert eval_runs_resume_stale(older_than_minutes=0) == [str(run.id)]
    with running_worker(**env):
        wait_for(lambda: EvalRun.objects.get(pk=run.pk).status == "finished", timeout=120, what="the run to finish")

    run = EvalRun.objects.get(pk=run.pk)
    assert results.count() == CASES
    assert sorted(results.values_list("case__key", flat=True)) == [f"case-{i:02d}" for i in range(CASES)]
    assert run.metrics["schema_valid_rate"] == 1.0 and run.verdict == "pass"
    tenant = eval_tenant()
    with tenant_context(tenant.id):
        inferences = InferenceRecord.objects.filter(tenant=tenant, capability="pricing.suggest")
        assert inferences.count() == CASES  # the killed case's inference rolled back with it
        assert set(inferences.values_list("id", flat=True)) == set(results.values_list("inference_id", flat=True))
        assert BudgetLedgerEntry.objects.filter(tenant=tenant).count() == CASES  # paid once each
    calls = [r for r in vertex_fake.received if ":generateContent" in r.path]
    # one model call per case (a cold worker's first call may time out and fall back, but it is
    # still one call); at most the call in flight at the kill is made twice
    assert len(calls) <= CASES + 1
