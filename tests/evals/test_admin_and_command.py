"""The eval admin pages (report, start, import/export, progress, drift alerts) and run_eval."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from evals.models import DriftAlert, EvalRun, EvalSuite
from evals.services.runs import eval_run_create, eval_run_execute
from tests.evals.conftest import pricing_draft

pytestmark = pytest.mark.django_db


def test_the_report_lists_metrics_charts_and_failing_cases_first(admin_client, fakes, pricing_suite):
    for _ in range(2):
        eval_run_execute(run_id=eval_run_create(suite_key=pricing_suite.key, enqueue=False).id)
    pricing_draft("3.1.0", poor=True)
    run = eval_run_execute(
        run_id=eval_run_create(suite_key=pricing_suite.key, prompt_version="3.1.0", enqueue=False).id
    )
    page = admin_client.get(f"/admin/evals/evalrun/{run.pk}/report/").content.decode()
    assert "PRMP_PRICING_001@3.1.0" in page and "FAIL" in page
    metrics_table = page[page.index('id="metrics"') : page.index('id="cases"')]
    assert "mape" in metrics_table and "max 0.1" in metrics_table and "WORSE" in metrics_table
    assert metrics_table.count("<svg") >= 3 and "<polyline" in metrics_table  # the last runs, inline SVG
    cases_table = page[page.index('id="cases"') :]
    assert cases_table.count("<strong>FAIL</strong>") == 4  # the poor candidate fails every case
    assert "numeric error" in cases_table and "&quot;number&quot;: 120.0" in cases_table


def test_failing_cases_come_before_passing_ones(admin_client, fakes, pricing_suite):
    run = eval_run_execute(run_id=eval_run_create(suite_key=pricing_suite.key, enqueue=False).id)
    page = admin_client.get(f"/admin/evals/evalrun/{run.pk}/report/").content.decode()
    cases_table = page[page.index('id="cases"') :]
    assert cases_table.index("manager-discounts") < cases_table.index("mid-demand")


def test_a_run_is_started_from_the_admin_form(
    admin_client, pricing_suite, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr("evals.tasks.execute_run.delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/evals/evalrun/add/", {"suite": pricing_suite.pk, "prompt_version": "", "model_name": ""}
        )
    run = EvalRun.objects.get(suite=pricing_suite)
    assert response.status_code == 302 and response["Location"].endswith(f"/admin/evals/evalrun/{run.pk}/report/")
    assert queued == [str(run.id)] and run.started_by == "admin:admin" and run.prompt_version.version == "3.0.0"


def test_the_admin_form_refuses_what_the_service_refuses(admin_client, catalog):
    suite = EvalSuite.objects.create(key="EVAL_TEST_EMPTY", capability_id="pricing.suggest")
    response = admin_client.post("/admin/evals/evalrun/add/", {"suite": suite.pk, "model_name": ""})
    assert response.status_code == 200 and "has no enabled golden cases" in response.content.decode()
    assert EvalRun.objects.count() == 0


def test_the_run_list_shows_progress(admin_client, fakes, pricing_suite):
    run = eval_run_create(suite_key=pricing_suite.key, enqueue=False)
    eval_run_execute(run_id=run.id, stop_after=3)
    page = admin_client.get("/admin/evals/evalrun/").content.decode()
    assert "3/4" in page and "running" in page
    detail = admin_client.get(f"/admin/evals/evalrun/{run.pk}/change/")
    assert detail.status_code == 200 and "3/4" in detail.content.decode()  # read-only: runs are records


def test_golden_cases_import_and_export_in_admin(admin_client, pricing_suite):
    line = json.dumps(
        {
            "key": "uploaded",
            "input": {"bar": {"amount": 90.0, "currency": "EUR"}, "occupancy_pct": 50, "stay_date": "2027-01-01"},
            "expected": {"number": 90.0},
        }
    )
    upload = SimpleUploadedFile("cases.jsonl", f"{line}\n".encode(), content_type="application/jsonl")
    response = admin_client.post(f"/admin/evals/evalsuite/{pricing_suite.pk}/import/", {"file": upload})
    assert response.status_code == 302
    assert pricing_suite.cases.filter(key="uploaded").exists()
    exported = admin_client.post(
        "/admin/evals/evalsuite/", {"action": "export_jsonl", "_selected_action": [pricing_suite.pk]}
    )
    keys = [json.loads(row)["key"] for row in exported.content.decode().splitlines()]
    assert "uploaded" in keys and len(keys) == 5


def test_a_bad_upload_is_refused_with_the_line(admin_client, pricing_suite):
    upload = SimpleUploadedFile("cases.jsonl", b"{oops\n")
    response = admin_client.post(f"/admin/evals/evalsuite/{pricing_suite.pk}/import/", {"file": upload}, follow=True)
    assert "line 1: not JSON" in response.content.decode()


def test_drift_alerts_list_and_acknowledge(admin_client, pricing_suite):
    alert = DriftAlert.objects.create(
        suite=pricing_suite, kind="eval", metric="mape", baseline_value=0.1, observed_value=0.3, tolerance=0.02
    )
    assert "mape" in admin_client.get("/admin/evals/driftalert/").content.decode()
    admin_client.post("/admin/evals/driftalert/", {"action": "acknowledge", "_selected_action": [alert.pk]})
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None and alert.acknowledged_by == "admin:admin"


@pytest.mark.parametrize(
    "url",
    [
        "/admin/evals/evalsuite/",
        "/admin/evals/goldencase/",
        "/admin/evals/evalrun/",
        "/admin/evals/driftalert/",
        "/admin/evals/evalrun/add/",
    ],
)
def test_the_eval_admin_pages_render(admin_client, pricing_suite, url):
    assert admin_client.get(url).status_code == 200


def test_run_eval_runs_with_a_progress_bar_and_prints_the_metrics(fakes, pricing_suite):
    out = StringIO()
    call_command("run_eval", pricing_suite.key, stdout=out)
    text = out.getvalue()
    assert "[#######.......................] 1/4" in text and "[##############################] 4/4" in text
    assert "finished fail" in text and "mape" in text


def test_run_eval_resumes_an_unfinished_run(fakes, pricing_suite):
    run = eval_run_create(suite_key=pricing_suite.key, enqueue=False)
    eval_run_execute(run_id=run.id, stop_after=2)
    out = StringIO()
    call_command("run_eval", "--resume", str(run.id), stdout=out)
    assert "3/4" in out.getvalue() and EvalRun.objects.get(pk=run.pk).status == "finished"


def test_run_eval_refuses_bad_arguments(pricing_suite):
    with pytest.raises(CommandError, match="give a suite key"):
        call_command("run_eval")
    with pytest.raises(CommandError, match="no eval suite"):
        call_command("run_eval", "EVAL_NOPE_001")
