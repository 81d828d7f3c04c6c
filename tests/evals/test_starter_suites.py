"""Every seeded suite runs end to end over the fake providers with its starter golden set, through
the first steps the catalog names: the Google Cloud pre-steps (Document AI, Speech-to-Text, Cloud
Storage) against their fakes, the edge models from a published manifest, the housekeeping solver."""

from __future__ import annotations

import pytest

from evals.models import EvalCaseResult, EvalSuite
from evals.services.runs import eval_run_create, eval_run_execute
from evals.services.seeding import evals_seed

pytestmark = pytest.mark.django_db


def test_every_starter_suite_runs_and_meets_its_starting_thresholds(fakes, catalog):
    evals_seed()
    verdicts = {}
    for suite in EvalSuite.objects.filter(key__in=[key for key in evals_seed()]):
        run = eval_run_execute(run_id=eval_run_create(suite_key=suite.key, enqueue=False).id)
        assert run.status == "finished", (suite.key, run.error)
        assert run.results.filter(error="").count() == run.cases_total, suite.key
        assert run.metrics["schema_valid_rate"] == 1.0, suite.key
        verdicts[suite.key] = (run.verdict, run.notes)
    assert len(verdicts) == 15
    failing = {key: notes for key, (verdict, notes) in verdicts.items() if verdict != "pass"}
    assert failing == {}
    # the golden cases ran through the catalog's first steps, not around them
    for kind in ("gcs", "documentai", "speech"):
        assert fakes[kind].received, f"no case reached the {kind} fake"
    for key, provider in FIRST_STEP.items():
        answered = set(EvalCaseResult.objects.filter(run__suite__key=key).values_list("provider", flat=True))
        assert answered == {provider}, key


# The suites whose first step is not a language model, and what answers every case over the fakes.
FIRST_STEP = {"EVAL_ANOMALY_001": "edge", "EVAL_VISION_001": "edge", "EVAL_HK_001": "in_process"}
