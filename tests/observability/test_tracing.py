"""W3C trace context through the gateway (melmastoon_ai/observability/tracing.py): accepted from
callers, echoed, stored in the decision trail, carried by Celery tasks through the real broker."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker

from capabilities.models import Capability, InferenceRecord
from melmastoon_ai.celery import app, task_trace_carrier
from melmastoon_ai.observability import tracing
from melmastoon_ai.redis_client import get_redis
from melmastoon_ai.tenancy.context import tenant_context

pytestmark = pytest.mark.django_db
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"
W3C = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


@app.task(name="tests.observability.trace_probe")
def trace_probe(key: str) -> None:
    """Records the trace id the worker ran the task under."""
    get_redis().set(key, tracing.current_trace_id(), ex=60)


def complete(client, **headers):
    example = Capability.objects.get(pk="upsell.recommend").examples[0]
    return client.post(
        "/api/v1/ai/complete", {"capability": "upsell.recommend", "input": example}, format="json", **headers
    )


def test_the_callers_trace_is_kept_echoed_and_stored_in_the_trail(client_a, tenant_a, catalog):
    response = complete(client_a, HTTP_TRACEPARENT=TRACEPARENT)
    assert response.status_code == 200
    assert response["traceparent"].split("-")[1] == TRACE_ID
    with tenant_context(tenant_a.id):
        record = InferenceRecord.objects.get(pk=response.json()["id"])
    assert record.trace_id == record.trail["trace_id"] == TRACE_ID


@pytest.mark.parametrize("header", ["", "garbage", f"00-{'0' * 32}-b7ad6b7169203331-01", "00-abc-def-01"])
def test_without_a_valid_traceparent_the_request_gets_a_trace_of_its_own(client_a, tenant_a, catalog, header):
    response = complete(client_a, **({"HTTP_TRACEPARENT": header} if header else {}))
    assert response.status_code == 200
    echoed = response["traceparent"]
    assert W3C.match(echoed) and echoed != header
    with tenant_context(tenant_a.id):
        record = InferenceRecord.objects.get(pk=response.json()["id"])
    assert record.trace_id == echoed.split("-")[1] != "0" * 32


def test_two_requests_without_a_trace_get_different_ones(client_a, catalog):
    first, second = complete(client_a)["traceparent"], complete(client_a)["traceparent"]
    assert first.split("-")[1] != second.split("-")[1]


def test_a_task_published_in_a_request_runs_in_its_trace(transactional_db):
    """Through the real Redis broker and a worker (in a thread of this process)."""
    key = f"trace-probe:{uuid.uuid4().hex}"
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        with tracing.server_span("test request", {"traceparent": TRACEPARENT}):
            trace_probe.delay(key)
        redis, deadline = get_redis(), time.monotonic() + 15
        while (seen := redis.get(key)) is None and time.monotonic() < deadline:
            time.sleep(0.1)
    assert seen is not None and seen.decode() == TRACE_ID


def test_the_task_carrier_reads_the_message_headers():
    class Request:
        traceparent = TRACEPARENT
        headers = None

    class Local:
        headers = {"traceparent": TRACEPARENT, "tracestate": "vendor=1"}

    assert task_trace_carrier(Request()) == {"traceparent": TRACEPARENT}
    assert task_trace_carrier(Local()) == {"traceparent": TRACEPARENT, "tracestate": "vendor=1"}


def test_export_is_off_by_default(settings):
    from opentelemetry import trace

    assert settings.OTEL_TRACES_ENDPOINT == ""
    assert tracing.configure_tracing(endpoint="", service_name="x") is False
    assert type(trace.get_tracer_provider()).__module__.startswith("opentelemetry.trace")  # the API's, not the SDK's
