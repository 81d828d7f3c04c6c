"""What counts as a model's answer when an eval decides whether a run measured anything: the
first stage's provider. An edge classifier's verdict is a model answer; the rule fallback's verdict
stays the fallback's even when Gemini explains it in the second stage."""

from __future__ import annotations

import pytest

from capabilities.models import InferenceRecord
from evals.services.runs import eval_run_create, eval_run_execute, eval_tenant
from melmastoon_ai.tenancy.context import tenant_context

pytestmark = pytest.mark.django_db


def test_without_the_edge_classifier_gemini_explaining_the_rules_verdicts_is_inconclusive(
    providers_from_settings, vertex_fake, catalog
):
    run = eval_run_execute(run_id=eval_run_create(suite_key="EVAL_ANOMALY_001", enqueue=False).id)
    assert run.verdict == "inconclusive" and run.metrics["degraded_rate"] == 1.0
    assert set(run.results.values_list("provider", flat=True)) == {"deterministic"}
    with tenant_context(eval_tenant().id):
        explained = [
            record
            for record in InferenceRecord.objects.filter(request_id__startswith=f"eval-{run.id}-")
            if any(attempt["outcome"] == "ok" for attempt in record.provenance.get("stage_attempts", []))
        ]
    assert explained  # Gemini did answer (the explanations), yet no model gave a verdict


def test_the_edge_classifiers_verdicts_are_model_answers(fakes, catalog):
    run = eval_run_execute(run_id=eval_run_create(suite_key="EVAL_ANOMALY_001", enqueue=False).id)
    assert run.verdict == "pass" and run.metrics["degraded_rate"] == 0.0
    assert set(run.results.values_list("provider", flat=True)) == {"edge"}
