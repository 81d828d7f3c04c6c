"""Batch demand forecasts: submit, the Celery task's run, poll; validation and tenancy."""

from __future__ import annotations

import datetime as dt

import pytest

from capabilities import forecast_batches
from capabilities.models import ForecastBatch, InferenceRecord
from capabilities.tasks import run_forecast_batch
from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.tenancy.models import Tenant

pytestmark = pytest.mark.django_db
URL = "/api/v1/ai/forecasts/batches"


def item(start: dt.date, nights: int, room_type: str) -> dict:
    history = [
        {"date": (start - dt.timedelta(days=nights - i)).isoformat(), "rooms_sold": 30 + i % 7} for i in range(nights)
    ]
    return {
        "start_date": start.isoformat(),
        "horizon_days": 30,
        "room_count": 60,
        "history": history,
        "room_type": room_type,
    }


@pytest.fixture
def queued(monkeypatch):
    sent = []
    monkeypatch.setattr(forecast_batches, "_enqueue", lambda batch_id, tenant_id: sent.append((batch_id, tenant_id)))
    return sent


def test_a_batch_is_queued_after_commit_run_by_the_task_and_polled(
    client_a, tenant_a, catalog, queued, django_capture_on_commit_callbacks
):
    Tenant.objects.filter(pk=tenant_a.pk).update(rate_limit_per_minute=10_000)
    start = dt.date(2026, 7, 1)
    items = [item(start, 90, "double"), item(start, 5, "suite"), item(start + dt.timedelta(days=30), 60, "double")]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(URL, {"items": items, "context": {"feature": "pricing"}}, format="json")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["status"], body["items"], body["done"]) == ("queued", 3, 0)
    assert [str(batch_id) for batch_id, _ in queued] == [body["id"]]
    assert run_forecast_batch(body["id"], str(tenant_a.id)) == "completed"
    polled = client_a.get(f"{URL}/{body['id']}").json()
    assert (polled["status"], polled["done"]) == ("completed", 3)
    methods = [{day["method"] for day in result["output"]["days"]} for result in polled["results"]]
    assert methods[0] == {"seasonal_trend"} and methods[2] == {"seasonal_trend"}
    assert "seasonal_trend" not in methods[1]  # five nights: the last-year naive fallback (no provider here)
    assert polled["results"][1]["degraded"] is True
    with tenant_context(tenant_a.id):
        assert InferenceRecord.objects.filter(capability="pricing.demand_forecast").count() == 3
    # a redelivered task finds the batch done and repeats nothing
    assert run_forecast_batch(body["id"], str(tenant_a.id)) == "skipped"


def test_a_task_redelivered_mid_batch_goes_on_where_the_results_stop(client_a, tenant_a, catalog, queued):
    start = dt.date(2026, 7, 1)
    response = client_a.post(URL, {"items": [item(start, 40, "a"), item(start, 40, "b")]}, format="json")
    batch_id = response.json()["id"]
    with tenant_context(tenant_a.id):
        ForecastBatch.objects.filter(pk=batch_id).update(
            status="running", results=[{"index": 0, "error": {"code": "x", "message": "kept"}}]
        )
    assert run_forecast_batch(batch_id, str(tenant_a.id)) == "completed"
    results = client_a.get(f"{URL}/{batch_id}").json()["results"]
    assert results[0]["error"]["message"] == "kept" and results[1]["index"] == 1 and "output" in results[1]


def test_an_invalid_item_refuses_the_whole_batch_naming_the_item(client_a, tenant_a, catalog, queued):
    start = dt.date(2026, 7, 1)
    bad = item(start, 10, "x") | {"horizon_days": 500}
    response = client_a.post(URL, {"items": [item(start, 10, "ok"), bad]}, format="json")
    assert response.status_code == 422  # as /complete answers an input that fails its schema
    assert response.json()["error"]["details"]["errors"][0]["item"] == 1
    assert client_a.post(URL, {"items": []}, format="json").status_code == 400
    assert client_a.post(URL, {"items": "x"}, format="json").status_code == 400
    with tenant_context(tenant_a.id):
        assert not ForecastBatch.objects.exists()
    assert queued == []


def test_another_tenant_cannot_read_a_batch(client_a, client_b, tenant_a, catalog, queued):
    response = client_a.post(URL, {"items": [item(dt.date(2026, 7, 1), 30, "a")]}, format="json")
    batch_id = response.json()["id"]
    assert client_b.get(f"{URL}/{batch_id}").status_code == 404
    assert client_a.get(f"{URL}/{batch_id}").status_code == 200
