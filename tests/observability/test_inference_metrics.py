"""Per-inference metrics and log line, the HITL queue and outbox gauges, Celery task outcomes: what
/metrics exports after real calls through the pipeline, and the log line that carries no PII."""

from __future__ import annotations

import json
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families

from capabilities.models import Capability
from melmastoon_ai.observability.logging import ContextFilter, JsonFormatter

pytestmark = pytest.mark.django_db
GUEST_EMAIL = "leyla.karimi@example.org"


def scrape(metrics_scraper) -> dict[tuple[str, tuple], float]:
    text = metrics_scraper.get("/metrics").content.decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def sample(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def call(client, capability_id: str, payload: dict | None = None, capture=None) -> dict:
    payload = payload or Capability.objects.get(pk=capability_id).examples[0]
    with capture(execute=True):  # the metrics and the log line follow the record's commit
        response = client.post(
            "/api/v1/ai/complete",
            {"capability": capability_id, "input": payload},
            format="json",
            HTTP_CACHE_CONTROL="no-store",
        )
    assert response.status_code == 200, response.content[:300]
    return response.json()


def test_an_inference_counts_once_per_capability_provider_model_and_outcome(
    client_a, catalog, metrics_scraper, django_capture_on_commit_callbacks
):
    before = scrape(metrics_scraper)
    body = call(client_a, "upsell.recommend", capture=django_capture_on_commit_callbacks)
    after = scrape(metrics_scraper)
    provenance = body["provenance"]
    labels = {"capability": "upsell.recommend", "provider": provenance["provider"], "model": provenance["model"]}
    outcome = "degraded" if body["degraded"] else "ok"
    assert (
        sample(after, "melmastoon_inferences_total", **labels, outcome=outcome)
        - sample(before, "melmastoon_inferences_total", **labels, outcome=outcome)
        == 1
    )
    assert (
        sample(after, "melmastoon_inference_latency_seconds_count", **labels)
        - sample(before, "melmastoon_inference_latency_seconds_count", **labels)
        == 1
    )
    tokens = sample(after, "melmastoon_inference_tokens_total", **labels, direction="input") - sample(
        before, "melmastoon_inference_tokens_total", **labels, direction="input"
    )
    assert tokens == provenance["tokens"]["input"]
    assert (
        sample(after, "melmastoon_gateway_overhead_seconds_count", capability="upsell.recommend")
        - sample(before, "melmastoon_gateway_overhead_seconds_count", capability="upsell.recommend")
        == 1
    )


def test_one_json_log_line_per_inference_without_personal_data(
    client_a, catalog, caplog, django_capture_on_commit_callbacks
):
    payload = dict(Capability.objects.get(pk="message.draft").examples[0], guest_name=GUEST_EMAIL)
    with caplog.at_level(logging.INFO, logger="melmastoon_ai.inference"):
        body = call(client_a, "message.draft", payload, capture=django_capture_on_commit_callbacks)
    records = [record for record in caplog.records if record.name == "melmastoon_ai.inference"]
    assert len(records) == 1
    ContextFilter().filter(records[0])
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["message"] == "inference" and line["inference_id"] == body["id"]
    assert {
        "capability",
        "provider",
        "model",
        "outcome",
        "latency_ms",
        "tokens_input",
        "tokens_output",
        "cost_usd",
        "cache_hit",
        "degraded",
        "fallback_used",
        "request_id",
        "tenant_id",
    } <= set(line)
    assert line["capability"] == "message.draft" and line["tenant_id"] is not None
    serialized = json.dumps(line)
    assert GUEST_EMAIL not in serialized and "leyla" not in serialized.lower()  # no input, no output


def test_the_hitl_queue_and_the_outbox_are_gauged_at_scrape_time(
    client_a, catalog, metrics_scraper, django_capture_on_commit_callbacks
):
    call(client_a, "message.draft", capture=django_capture_on_commit_callbacks)
    call(client_a, "message.draft", capture=django_capture_on_commit_callbacks)
    samples = scrape(metrics_scraper)
    assert sample(samples, "melmastoon_hitl_open_gates", capability="message.draft") == 2
    assert sample(samples, "melmastoon_hitl_overdue_gates", capability="message.draft") == 0
    assert sample(samples, "melmastoon_outbox_pending_events") >= 4  # completed + suggestion + gate opened, each
    assert sample(samples, "melmastoon_outbox_lag_seconds") >= 0
    assert ("melmastoon_outbox_parked_events", ()) in samples


def test_celery_task_outcomes_are_counted(metrics_scraper, db):
    from melmastoon_ai.outbox.tasks import relay

    before = sample(scrape(metrics_scraper), "melmastoon_celery_tasks_total", task="outbox.relay", outcome="success")
    relay.apply()
    after = sample(scrape(metrics_scraper), "melmastoon_celery_tasks_total", task="outbox.relay", outcome="success")
    assert after - before == 1


def test_a_worker_serves_its_task_counts_on_its_own_port(settings, db):
    import httpx

    from melmastoon_ai.celery import _serve_worker_metrics
    from melmastoon_ai.outbox.tasks import relay
    from tests.e2e.conftest import free_port

    settings.WORKER_METRICS_PORT = free_port()
    _serve_worker_metrics()
    relay.apply()
    text = httpx.get(f"http://127.0.0.1:{settings.WORKER_METRICS_PORT}/metrics", timeout=5).text
    assert 'melmastoon_celery_tasks_total{outcome="success",task="outbox.relay"}' in text


def test_an_idle_relay_run_logs_at_debug_and_a_busy_one_at_info():
    from melmastoon_ai.observability.logging import IdleTaskFilter

    def trace_record(result: dict) -> logging.LogRecord:
        record = logging.LogRecord(
            "celery.app.trace",
            logging.INFO,
            __file__,
            1,
            "Task %(name)s[%(id)s] succeeded in %(runtime)ss: %(return_value)s",
            None,
            None,
        )
        record.args = {"name": "outbox.relay", "id": "t-1", "runtime": 0.01, "return_value": repr(result)}
        return record

    idle = trace_record({"published": 0, "duplicates": 0, "failed": 0, "parked": 0})
    busy = trace_record({"published": 3, "duplicates": 0, "failed": 0, "parked": 0})
    assert IdleTaskFilter().filter(idle) is False and idle.levelname == "DEBUG"
    assert IdleTaskFilter().filter(busy) is True and busy.levelname == "INFO"
