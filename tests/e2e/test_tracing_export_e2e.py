"""OTLP span export through the production server (gunicorn) to a collector speaking the real
protocol (tests/e2e/otlp_collector_fake.py): the request's server span joins the caller's trace,
the provider call is its child, and the trace id is the one the decision trail stores."""

from __future__ import annotations

import time

import httpx
import pytest

from capabilities.models import Capability, InferenceRecord
from melmastoon_ai.tenancy.context import tenant_context
from tests.e2e.conftest import running_server
from tests.e2e.otlp_collector_fake import FakeOtlpCollector
from tests.factories import ApiKeyFactory, TenantFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
TRACE_ID = "5b8aa5a2d2c872e8321cf37308d69df2"
CALLER_SPAN = "051581bf3cb55c13"


def test_spans_are_exported_by_otlp_in_the_callers_trace(catalog):
    tenant = TenantFactory(rate_limit_per_minute=10_000)
    key = ApiKeyFactory(tenant=tenant, scopes=["ai:invoke"])
    example = Capability.objects.get(pk="pricing.suggest").examples[0]
    with (
        FakeOtlpCollector() as collector,
        running_server(
            workers=1,
            OTEL_TRACES_ENDPOINT=collector.endpoint,
            OTEL_SERVICE_NAME="melmastoon-ai-e2e",
            OTEL_BSP_SCHEDULE_DELAY="100",
        ) as base,
    ):
        response = httpx.post(
            f"{base}/api/v1/ai/complete",
            timeout=30,
            headers={"X-API-Key": key.raw, "traceparent": f"00-{TRACE_ID}-{CALLER_SPAN}-01"},
            json={"capability": "pricing.suggest", "input": example},
        )
        assert response.status_code == 200, response.text
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(s["name"].startswith("provider ") for s in collector.received()):
            time.sleep(0.1)
    spans = [span for span in collector.received() if span["trace_id"] == TRACE_ID]
    server = next(span for span in spans if span["name"].startswith("POST /api/v1/ai/complete"))
    assert server["parent_span_id"] == CALLER_SPAN and server["service"] == "melmastoon-ai-e2e"
    assert server["attributes"]["http.response.status_code"] == 200
    provider = next(span for span in spans if span["name"] == "provider deterministic")
    assert provider["parent_span_id"] == server["span_id"]
    with tenant_context(tenant.id):
        assert InferenceRecord.objects.get(pk=response.json()["id"]).trace_id == TRACE_ID
