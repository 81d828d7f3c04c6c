"""Every seeded suite runs end to end over the fake providers with its starter golden set."""

from __future__ import annotations

import pytest

from evals.models import EvalSuite
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
    assert {key: notes for key, (verdict, notes) in verdicts.items() if verdict != "pass"} == {}
