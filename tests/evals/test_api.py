"""POST /api/v1/admin/evals/runs and GET /api/v1/admin/evals/runs/{id}: scope, errors, progress."""

from __future__ import annotations

import uuid

import pytest

from evals.models import EvalRun
from evals.services.runs import eval_run_execute

# tenant_a is the operator: its ai:admin key administers platform-wide resources (tenant_b is a hotel)
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("operator_a")]
RUNS = "/api/v1/admin/evals/runs"


def assert_envelope(response, status: int, code: str):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and "request_id" in error and "details" in error
    return error


def test_a_run_is_started_queued_and_read_with_its_progress(
    client_a, pricing_suite, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr("evals.tasks.execute_run.delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(RUNS, {"suite": pricing_suite.key}, format="json")
    assert response.status_code == 202
    body = response.json()
    assert (body["suite"], body["capability"], body["prompt_version"], body["status"]) == (
        "EVAL_TEST_PRICING",
        "pricing.suggest",
        "PRMP_PRICING_001@3.0.0",
        "queued",
    )
    assert (body["cases_total"], body["cases_done"], body["metrics"]) == (4, 0, {})
    assert queued == [body["id"]]  # the Celery task is sent after the commit

    eval_run_execute(run_id=body["id"], stop_after=1)
    progress = client_a.get(f"{RUNS}/{body['id']}").json()
    assert (progress["status"], progress["cases_done"]) == ("running", 1)


def test_a_finished_run_reads_with_metrics_verdict_and_failing_cases(client_a, fakes, pricing_suite):
    run = client_a.post(RUNS, {"suite": pricing_suite.key, "model": "gemini-1.5-flash"}, format="json").json()
    eval_run_execute(run_id=run["id"])
    body = client_a.get(f"{RUNS}/{run['id']}").json()
    assert (body["status"], body["verdict"], body["cases_done"], body["cases_failed"]) == ("finished", "fail", 4, 1)
    assert body["metrics"]["mape"] == pytest.approx(0.11) and body["model"] == "gemini-1.5-flash"
    assert body["failing_cases"] == [{"case": "manager-discounts", "failures": ["numeric error 25.0% above 10%"]}]
    assert body["thresholds"]["mape"] == {"max": 0.1}


def test_without_ai_admin_it_is_403_forbidden(client_for, tenant_a, pricing_suite):
    from tests.factories import ApiKeyFactory

    client = client_for(ApiKeyFactory(tenant=tenant_a, scopes=["ai:invoke", "ai:review"]).raw)
    assert_envelope(client.post(RUNS, {"suite": pricing_suite.key}, format="json"), 403, "forbidden")
    assert_envelope(client.get(f"{RUNS}/{uuid.uuid4()}"), 403, "forbidden")
    assert EvalRun.objects.count() == 0


def test_without_a_credential_it_is_401(anon_client, db):
    assert_envelope(anon_client.get(f"{RUNS}/{uuid.uuid4()}"), 401, "unauthenticated")


@pytest.mark.parametrize("run_id", [str(uuid.uuid4()), "not-a-uuid"])
def test_an_unknown_run_is_404_not_found(client_a, db, run_id):
    assert_envelope(client_a.get(f"{RUNS}/{run_id}"), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({}, 400, "invalid_request", "suite"),
        ({"suite": 7}, 400, "invalid_request", "suite"),
        ({"suite": "EVAL_TEST_PRICING", "model": ["x"]}, 400, "invalid_request", "model"),
        ({"suite": "EVAL_NOPE_001"}, 404, "not_found", "suite"),
        ({"suite": "EVAL_TEST_PRICING", "prompt_version": "9.9.9"}, 404, "not_found", "prompt_version"),
        ({"suite": "EVAL_TEST_PRICING", "model": "no-such-model"}, 400, "invalid_request", "model"),
    ],
)
def test_bad_bodies_are_refused_in_the_envelope(client_a, pricing_suite, body, status, code, field):
    error = assert_envelope(client_a.post(RUNS, body, format="json"), status, code)
    assert field in str(error["details"])
    assert EvalRun.objects.count() == 0


def test_a_body_that_is_not_json_is_400(client_a, pricing_suite):
    response = client_a.post(RUNS, "suite=EVAL_TEST_PRICING", content_type="application/x-www-form-urlencoded")
    assert response.status_code in (400, 415)
    assert response.json()["error"]["code"] == "invalid_request"


def test_a_suite_without_cases_is_409(client_a, catalog):
    from evals.models import EvalSuite

    EvalSuite.objects.create(key="EVAL_TEST_EMPTY", capability_id="pricing.suggest")
    assert_envelope(client_a.post(RUNS, {"suite": "EVAL_TEST_EMPTY"}, format="json"), 409, "conflict")


def test_runs_are_platform_level_but_their_inferences_belong_to_no_caller(client_a, client_b, fakes, pricing_suite):
    """Only the operator's ai:admin credentials read a run (as the prompt registry); a hotel's
    ai:admin key gets 403. The run's inferences are the eval tenant's, so neither the operator's
    tenant that started it nor another can read them."""
    run = client_a.post(RUNS, {"suite": pricing_suite.key}, format="json").json()
    eval_run_execute(run_id=run["id"])
    assert client_a.get(f"{RUNS}/{run['id']}").json()["cases_done"] == 4
    refused = client_b.get(f"{RUNS}/{run['id']}")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    inference_id = EvalRun.objects.get(pk=run["id"]).results.first().inference_id
    for client in (client_a, client_b):
        response = client.get(f"/api/v1/ai/inferences/{inference_id}")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
