"""Eval runs through the real pipeline against the fake provider servers (real HTTP, real SDKs):
metrics worked out by hand, eval mode (no cache, no HITL gate, the eval budget), resumption."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from budgets.models import Budget, BudgetLedgerEntry
from capabilities import cache
from capabilities.models import InferenceRecord
from evals.models import EvalCaseResult, EvalRun, EvalSuite, GoldenCase
from evals.services.runs import EVAL_FEATURE, eval_run_create, eval_run_execute, eval_tenant
from hitl.models import HitlGate
from melmastoon_ai.errors import ApplicationError, NotFound
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.tenancy.context import tenant_context
from prompts.models import PromptVersion
from tests.evals.conftest import pricing_draft

pytestmark = pytest.mark.django_db


def generations(fake) -> list:
    return [r for r in fake.received if ":generateContent" in r.path]


def test_a_run_over_the_fakes_gives_the_metrics_worked_out_by_hand(fakes, pricing_suite, vertex_fake):
    run = eval_run_create(suite_key=pricing_suite.key, enqueue=False)
    assert (run.status, run.cases_total, run.prompt_version.version) == ("queued", 4, "3.0.0")
    run = eval_run_execute(run_id=run.id)
    # errors 0, 0, 0.05, 0.25 with weights 1, 1, 1, 2 -> MAPE (0.05 + 0.5) / 5 = 0.11 > 0.1 -> fail
    assert run.status == "finished"
    assert run.metrics["mape"] == pytest.approx(0.11)
    assert run.metrics["pass_rate"] == pytest.approx(3 / 5)  # the weight-2 case fails
    assert run.metrics["schema_valid_rate"] == 1.0
    assert run.metrics["field_match_rate"] == 1.0
    assert run.metrics["fallback_rate"] == 0.0  # the fake Vertex answered every case
    assert run.verdict == "fail" and "mape: 0.11 above the maximum 0.1" in run.notes
    results = {r.case.key: r for r in run.results.select_related("case")}
    assert results["peak-short-lead"].output["suggested_price"]["amount"] == 120.0
    assert results["soft-demand"].scores["ape"] == pytest.approx(0.05)
    assert not results["manager-discounts"].passed
    assert {r.provider for r in results.values()} == {"vertex"}
    assert len(generations(vertex_fake)) == 4  # one call per case: nothing from a cache


def test_the_version_under_test_is_the_one_sent_to_the_model(fakes, pricing_suite, vertex_fake):
    candidate = pricing_draft("3.1.0", poor=True)
    run = eval_run_execute(
        run_id=eval_run_create(suite_key=pricing_suite.key, prompt_version="3.1.0", enqueue=False).id
    )
    assert run.prompt_version == candidate
    # the fake answers 40 % above the rule when the prompt carries its "answer poorly" marker
    amounts = sorted(r.output["suggested_price"]["amount"] for r in run.results.all())
    assert amounts == [133.0, 168.0, 210.0, 280.0]
    assert run.verdict == "fail"


def test_eval_mode_reads_and_writes_no_cache_and_opens_no_gate(fakes, catalog):
    tenant = eval_tenant()
    type(tenant).objects.filter(pk=tenant.pk).update(cache_enabled=True)  # even when the tenant caches
    suite = EvalSuite.objects.create(
        key="EVAL_TEST_MSG", capability_id="message.draft", metrics=["schema_valid_rate"], config={"text_field": "body"}
    )
    GoldenCase.objects.create(
        suite=suite,
        key="confirm",
        locale="en",
        input={
            "intent": "booking_confirmation",
            "locale": "en",
            "guest_name": "Sarah Whitfield",
            "hotel_name": "Kabul Garden Hotel",
            "stay": {"booking_ref": "MLM-27000"},
        },
    )
    for _ in range(2):
        run = eval_run_execute(run_id=eval_run_create(suite_key=suite.key, enqueue=False).id)
        assert run.status == "finished"
    with tenant_context(tenant.id):
        records = list(InferenceRecord.objects.filter(tenant=tenant, capability="message.draft"))
        assert len(records) == 2 and not any(record.cache_hit for record in records)
        assert HitlGate.objects.filter(tenant=tenant).count() == 0  # message.draft is HITL "always"
        assert {record.feature for record in records} == {EVAL_FEATURE}
        topics = set(OutboxEvent.objects.filter(tenant=tenant).values_list("topic", flat=True))
        assert "inference.completed" in topics and not any(topic.startswith("suggestion.") for topic in topics)
    key = cache.response_cache_key(
        tenant_id=str(tenant.id),
        capability_id="message.draft",
        capability_version=records[0].capability_version,
        prompt_version=records[0].prompt_version,
        input_hash=records[0].input_hash,
    )
    assert cache.cache_get(key) is None


def test_inference_is_charged_to_the_eval_tenants_eval_budget(fakes, pricing_suite):
    run = eval_run_execute(run_id=eval_run_create(suite_key=pricing_suite.key, enqueue=False).id)
    tenant = eval_tenant()
    with tenant_context(tenant.id):
        budget = Budget.objects.get(tenant=tenant, feature=EVAL_FEATURE)
        ledger = BudgetLedgerEntry.objects.filter(tenant=tenant, period__budget=budget)
        assert ledger.count() == 4
        total = sum((entry.cost_usd for entry in ledger), Decimal(0))
    assert float(total) == pytest.approx(run.metrics.get("cost_usd_total", float(total)))
    assert sum(r.cost_usd for r in run.results.all()) == total


def test_a_spent_eval_budget_fails_the_run_instead_of_scoring_the_fallback(fakes, pricing_suite):
    tenant = eval_tenant()
    with tenant_context(tenant.id):
        Budget.objects.filter(tenant=tenant, feature=EVAL_FEATURE).update(token_limit=1)
    run = eval_run_execute(run_id=eval_run_create(suite_key=pricing_suite.key, enqueue=False).id)
    assert run.status == "failed" and "eval budget is spent" in run.error
    assert run.results.count() == 0


def test_a_resumed_run_skips_recorded_cases_and_never_counts_one_twice(fakes, pricing_suite, vertex_fake):
    run = eval_run_create(suite_key=pricing_suite.key, enqueue=False)
    partial = eval_run_execute(run_id=run.id, stop_after=2)  # as if the worker died after two cases
    assert (partial.status, partial.results.count()) == ("running", 2)
    finished = eval_run_execute(run_id=run.id)
    assert finished.status == "finished" and finished.results.count() == 4
    assert len(generations(vertex_fake)) == 4  # the two recorded cases were not asked again
    assert eval_run_execute(run_id=run.id).results.count() == 4  # a late duplicate task does nothing
    case = pricing_suite.cases.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        EvalCaseResult.objects.create(run=run, case=case)


def test_a_model_can_be_evaluated_alone(fakes, pricing_suite, openai_fake, vertex_fake):
    run = eval_run_execute(
        run_id=eval_run_create(suite_key=pricing_suite.key, model_name="gpt-4o-mini", enqueue=False).id
    )
    assert {r.model for r in run.results.all()} == {"gpt-4o-mini"}
    completions = [r for r in openai_fake.received if r.path.endswith("/chat/completions")]
    generations = [r for r in vertex_fake.received if ":generateContent" in r.path]
    assert len(completions) == 4 and generations == []


def test_a_failing_provider_shows_as_fallback_in_the_metrics(
    fakes, pricing_suite, vertex_fake, anthropic_fake, openai_fake
):
    for fake in (vertex_fake, anthropic_fake, openai_fake):
        fake.script(times=None, status=503)
    run = eval_run_execute(run_id=eval_run_create(suite_key=pricing_suite.key, enqueue=False).id)
    assert run.metrics["fallback_rate"] == 1.0
    assert {r.provider for r in run.results.all()} == {"deterministic"}


@pytest.mark.parametrize(
    ("kwargs", "error", "status"),
    [
        ({"suite_key": "EVAL_NOPE_001"}, NotFound, 404),
        ({"suite_key": "EVAL_TEST_PRICING", "prompt_version": "9.9.9"}, NotFound, 404),
        ({"suite_key": "EVAL_TEST_PRICING", "model_name": "no-such-model"}, ApplicationError, 400),
    ],
)
def test_a_run_of_something_unknown_is_refused(pricing_suite, kwargs, error, status):
    with pytest.raises(error) as refused:
        eval_run_create(enqueue=False, **kwargs)
    assert refused.value.status == status


def test_a_suite_without_cases_is_refused(catalog):
    suite = EvalSuite.objects.create(key="EVAL_TEST_EMPTY", capability_id="pricing.suggest")
    with pytest.raises(ApplicationError) as refused:
        eval_run_create(suite_key=suite.key, enqueue=False)
    assert refused.value.status == 409 and EvalRun.objects.filter(suite=suite).count() == 0


def test_a_retired_version_cannot_be_evaluated(pricing_suite):
    from prompts.services import prompt_version_retire

    version = pricing_draft("3.2.0")
    prompt_version_retire(version_id=version.id)
    with pytest.raises(ApplicationError, match="retired"):
        eval_run_create(suite_key=pricing_suite.key, prompt_version="3.2.0", enqueue=False)
    assert PromptVersion.objects.get(pk=version.pk).status == "retired"
