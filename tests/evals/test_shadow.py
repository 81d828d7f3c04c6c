"""Shadow evaluation (evals/services/shadow.py): a candidate prompt version replayed on a sample of
last week's production inferences, through the fake providers, feeding the promotion gate."""

from __future__ import annotations

import pytest

from capabilities.models import InferenceRecord
from evals.models import EvalRun
from evals.services import promotion_gate
from evals.services.runs import eval_run_create, eval_run_execute
from evals.services.shadow import eval_shadow_run_create, expected_from_served
from melmastoon_ai.errors import Conflict
from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.tenancy.models import PlatformAccessLog
from tests.evals.conftest import pricing_draft, pricing_input

pytestmark = pytest.mark.django_db


def serve(client, payload, feature="front-desk"):
    response = client.post(
        "/api/v1/ai/complete",
        {"capability": "pricing.suggest", "input": payload, "context": {"feature": feature}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.fixture
def production(fakes, client_a, tenant_a, pricing_suite):
    """Three answers served to a hotel by the fake Vertex (the pricing rule), and one replay, which
    is not production traffic."""
    served = [
        serve(client_a, pricing_input(bar, occupancy, 20)) for bar, occupancy in ((100.0, 95), (200.0, 60), (100.0, 40))
    ]
    assert {body["provenance"]["provider"] for body in served} == {"vertex"}
    client_a.post(f"/api/v1/ai/inferences/{served[0]['id']}/replay", format="json")
    return served


def test_a_candidate_like_production_passes_its_shadow_run_and_the_gate(
    production, pricing_suite, active_pricing, tenant_a, vertex_fake
):
    eval_run_execute(run_id=eval_run_create(suite_key=pricing_suite.key, enqueue=False).id)  # the active's run
    candidate = pricing_draft("3.1.0")
    logged = PlatformAccessLog.objects.count()
    run = eval_shadow_run_create(suite_key=pricing_suite.key, prompt_version="3.1.0", enqueue=False)
    assert PlatformAccessLog.objects.count() == logged + 1  # the sample read every tenant: audited
    assert run.purpose == EvalRun.Purpose.SHADOW and run.cases_total == 3
    assert {entry["inference_id"] for entry in run.shadow_sample} == {body["id"] for body in production}
    run = eval_run_execute(run_id=run.id)
    assert (run.status, run.verdict) == ("finished", "pass"), run.notes
    assert run.metrics["mape"] == 0.0 and run.metrics["field_match_rate"] == 1.0
    results = list(run.results.all())
    assert {str(r.replayed_inference_id) for r in results} == {body["id"] for body in production}
    assert {r.provider for r in results} == {"vertex"}
    with tenant_context(tenant_a.id):
        replays = InferenceRecord.objects.filter(pk__in=[r.inference_id for r in results])
        assert {(r.feature, r.prompt_version) for r in replays} == {("replay", "3.1.0")}
        assert {r.trail["replay_of"] for r in replays} == {body["id"] for body in production}
        assert all(r.trail["prompt"]["version"] == "3.1.0" for r in replays)  # the candidate, all else pinned
    decision = promotion_gate(candidate, active_pricing)
    assert decision.allowed, decision.reasons
    assert decision.candidate_run == run


def test_a_candidate_worse_than_production_fails_and_the_gate_refuses_it(production, pricing_suite, active_pricing):
    eval_run_execute(run_id=eval_run_create(suite_key=pricing_suite.key, enqueue=False).id)
    candidate = pricing_draft("3.2.0", poor=True)  # the fake answers 40 % above the rule for it
    run = eval_run_execute(
        run_id=eval_shadow_run_create(suite_key=pricing_suite.key, prompt_version="3.2.0", enqueue=False).id
    )
    assert run.verdict == "fail" and run.metrics["mape"] == pytest.approx(0.4)
    decision = promotion_gate(candidate, active_pricing)
    assert not decision.allowed and any("did not pass" in reason for reason in decision.reasons)


def test_no_traffic_last_week_is_a_conflict(fakes, pricing_suite):
    pricing_draft("3.1.0")
    with pytest.raises(Conflict, match="no production inference"):
        eval_shadow_run_create(suite_key=pricing_suite.key, prompt_version="3.1.0", enqueue=False)


def test_the_served_answer_becomes_the_expectation():
    served = {
        "suggested_price": {"amount": 120.0, "currency": "USD"},
        "confidence": 0.8,
        "rationale": "x" * 300,
        "factors": ["occupancy"],
    }
    assert expected_from_served(served, {"numeric_field": "suggested_price.amount"}) == {
        "number": 120.0,
        "fields": {"confidence": 0.8, "suggested_price.amount": 120.0, "suggested_price.currency": "USD"},
    }


def test_the_admin_api_starts_a_shadow_run(
    operator_a, production, pricing_suite, client_a, client_b, django_capture_on_commit_callbacks
):
    pricing_draft("3.1.0")
    runs = "/api/v1/admin/evals/runs"
    refused = client_a.post(runs, {"suite": pricing_suite.key, "shadow_sample_size": 2}, format="json")
    assert refused.status_code == 400  # a shadow run needs the candidate version
    assert (
        client_b.post(
            runs, {"suite": pricing_suite.key, "prompt_version": "3.1.0", "shadow_sample_size": 2}, format="json"
        ).status_code
        == 403
    )  # a hotel's key
    with django_capture_on_commit_callbacks(execute=False):
        response = client_a.post(
            runs, {"suite": pricing_suite.key, "prompt_version": "3.1.0", "shadow_sample_size": 2}, format="json"
        )
    assert response.status_code == 202, response.json()
    assert (response.json()["purpose"], response.json()["cases_total"]) == ("shadow", 2)
    run = eval_run_execute(run_id=response.json()["id"])
    body = client_a.get(f"{runs}/{run.id}").json()
    assert body["cases_done"] == 2 and body["verdict"] == "pass"
