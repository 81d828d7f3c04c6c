"""The promotion gate end to end: real eval runs over the fake providers, then the prompt
registry's promotion service (and its admin page) asking the gate."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from evals.services.promotion import check_promotion, prompt_version_promote
from evals.services.runs import eval_run_create, eval_run_execute
from prompts.models import PromptVersion
from prompts.selectors import PROMPT_CACHE, prompt_version_for
from prompts.services import LifecycleRefused, prompt_version_start_canary
from tests.evals.conftest import PRICING_PROMPT, pricing_draft
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _canary_required(settings):
    settings.PROMPT_PROMOTION_REQUIRES_CANARY = True
    settings.PROMPT_CANARY_REVIEW_DAYS = 7


def run(suite, version: str | None = None):
    return eval_run_execute(run_id=eval_run_create(suite_key=suite.key, prompt_version=version, enqueue=False).id)


def after_review(version: PromptVersion) -> dt.datetime:
    return PromptVersion.objects.get(pk=version.pk).canary_started_at + dt.timedelta(days=8)


def test_a_worse_candidate_is_refused_metric_by_metric(fakes, pricing_suite, active_pricing):
    pricing_suite.thresholds = {"schema_valid_rate": {"min": 1.0}, "mape": {"max": 1.0}}  # both pass these
    pricing_suite.save()
    active_run = run(pricing_suite)
    candidate = pricing_draft("3.1.0", poor=True)
    prompt_version_start_canary(version_id=candidate.id)
    candidate_run = run(pricing_suite, "3.1.0")
    # the fake answers 40 % high: errors 0.4, 0.4, 0.33, 0.75 (weight 2) -> 0.526; every case fails
    assert candidate_run.verdict == "pass" and candidate_run.metrics["mape"] == pytest.approx(0.526)
    assert active_run.metrics["mape"] == pytest.approx(0.11)

    decision = check_promotion(candidate, now=after_review(candidate))
    rows = {row.metric: row for row in decision.comparisons}
    assert not decision.allowed
    assert (rows["mape"].candidate, rows["mape"].active, rows["mape"].ok) == (
        pytest.approx(0.526),
        pytest.approx(0.11),
        False,
    )
    assert "worse than the active version by 0.416 (tolerance 0.02)" in rows["mape"].reason
    assert (rows["pass_rate"].candidate, rows["pass_rate"].active, rows["pass_rate"].ok) == (0.0, 0.6, False)
    assert rows["schema_valid_rate"].ok

    with pytest.raises(LifecycleRefused) as refused:
        prompt_version_promote(version_id=candidate.id, now=after_review(candidate))
    reasons = refused.value.details["reasons"]
    assert any(reason.startswith("mape: worse than the active version") for reason in reasons)
    assert any(reason.startswith("pass_rate: worse than the active version") for reason in reasons)
    assert PromptVersion.objects.get(pk=active_pricing.pk).status == "active"
    assert PromptVersion.objects.get(pk=candidate.pk).status == "draft"


def test_a_candidate_failing_the_absolute_thresholds_is_refused(fakes, pricing_suite, active_pricing):
    candidate = pricing_draft("3.1.0", poor=True)
    prompt_version_start_canary(version_id=candidate.id)
    assert run(pricing_suite, "3.1.0").verdict == "fail"
    reasons = check_promotion(candidate, now=after_review(candidate)).reasons
    assert any("did not pass" in reason for reason in reasons)
    assert "mape: 0.526 above the maximum 0.1" in reasons


def test_a_better_candidate_is_promoted_and_the_old_active_deprecated(fakes, pricing_suite, active_pricing):
    pricing_suite.thresholds = {"mape": {"max": 0.15}}
    pricing_suite.save()
    fakes["vertex"].script(times=None, degraded=True)  # the active version's run met a worse model answer
    assert run(pricing_suite).metrics["mape"] == pytest.approx(0.526)
    fakes["vertex"].reset()
    candidate = pricing_draft("3.1.0")
    prompt_version_start_canary(version_id=candidate.id)
    assert run(pricing_suite, "3.1.0").metrics["mape"] == pytest.approx(0.11)

    moment = after_review(candidate)
    promoted = prompt_version_promote(version_id=candidate.id, now=moment)
    assert (promoted.status, promoted.activated_at, promoted.canary_percent) == ("active", moment, None)
    old = PromptVersion.objects.get(pk=active_pricing.pk)
    assert (old.status, old.deprecated_at) == ("deprecated", moment)
    PROMPT_CACHE.invalidate()
    assert prompt_version_for(tenant_id=TenantFactory().id, prompt_key=PRICING_PROMPT).version == "3.1.0"


def test_a_green_candidate_still_waits_for_its_canary_and_its_review(fakes, pricing_suite, active_pricing):
    pricing_suite.thresholds = {"mape": {"max": 0.15}}
    pricing_suite.save()
    run(pricing_suite)
    candidate = pricing_draft("3.1.0")
    assert run(pricing_suite, "3.1.0").verdict == "pass"
    assert check_promotion(candidate).reasons == [
        "it has not run as a canary; start a canary and let it serve its review period"
    ]
    candidate = prompt_version_start_canary(version_id=candidate.id)
    early = timezone.now() + dt.timedelta(days=2)
    assert check_promotion(candidate, now=early).reasons == ["canary review period not over: 2 of 7 days served"]
    assert check_promotion(candidate, now=after_review(candidate)).allowed


def test_the_admin_shows_the_refusal_side_by_side(fakes, pricing_suite, active_pricing, admin_client):
    pricing_suite.thresholds = {"mape": {"max": 1.0}}
    pricing_suite.save()
    run(pricing_suite)
    candidate = pricing_draft("3.1.0", poor=True)
    candidate_run = run(pricing_suite, "3.1.0")
    page = admin_client.get(f"/admin/prompts/promptversion/{candidate.pk}/change/").content.decode()
    assert "may not be promoted" in page
    assert "mape" in page and "0.526" in page and "0.11" in page and "REFUSED" in page
    assert f"/admin/evals/evalrun/{candidate_run.pk}/report/" in page


def test_a_run_no_model_answered_is_inconclusive_and_counts_for_no_promotion(fakes, pricing_suite, active_pricing):
    pricing_suite.thresholds = {"mape": {"max": 1.0}}  # the deterministic answers meet it: no threshold fails
    pricing_suite.save()
    run(pricing_suite)  # the active version's baseline, answered by the models
    candidate = prompt_version_start_canary(version_id=pricing_draft("3.1.0").id)
    for fake in fakes.values():
        fake.script(times=None, status=503)
    candidate_run = run(pricing_suite, "3.1.0")
    assert candidate_run.metrics["fallback_rate"] == 1.0 and candidate_run.metrics["degraded_rate"] == 1.0
    assert candidate_run.verdict == "inconclusive"
    assert "no model answered" in candidate_run.notes
    decision = check_promotion(candidate, now=after_review(candidate))
    assert not decision.allowed
    assert any("inconclusive" in reason for reason in decision.reasons)
    with pytest.raises(LifecycleRefused):
        prompt_version_promote(version_id=candidate.id, now=after_review(candidate))


def test_the_gate_refuses_to_compare_with_an_active_version_that_has_no_conclusive_run(
    fakes, pricing_suite, active_pricing
):
    pricing_suite.thresholds = {"mape": {"max": 0.15}}
    pricing_suite.save()
    candidate = prompt_version_start_canary(version_id=pricing_draft("3.1.0").id)
    assert run(pricing_suite, "3.1.0").verdict == "pass"
    decision = check_promotion(candidate, now=after_review(candidate))
    assert not decision.allowed
    assert f"the active version {active_pricing.label} has no conclusive evaluation run to compare with" in " ".join(
        decision.reasons
    )

    for fake in fakes.values():  # an active run where no model answered is no baseline either
        fake.script(times=None, status=503)
    assert run(pricing_suite).verdict == "inconclusive"
    assert not check_promotion(candidate, now=after_review(candidate)).allowed
    for fake in fakes.values():
        fake.reset()
    run(pricing_suite)
    assert check_promotion(candidate, now=after_review(candidate)).allowed
