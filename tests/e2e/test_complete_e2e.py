"""`complete` through the real HTTP stack: gunicorn workers, PostgreSQL, Redis."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from jsonschema import Draft202012Validator

from capabilities.models import Capability, InferenceRecord
from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.tenancy.models import Tenant
from tests.factories import ApiKeyFactory, TenantFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tenant_key(catalog):
    tenant = TenantFactory(rate_limit_per_minute=10_000)
    return tenant, ApiKeyFactory(tenant=tenant, scopes=["ai:invoke"])


def test_every_capability_answers_over_http(live_server_url, tenant_key):
    _, key = tenant_key
    with httpx.Client(base_url=live_server_url, headers={"X-API-Key": key.raw}, timeout=30) as client:
        for capability in Capability.objects.all():
            response = client.post(
                "/api/v1/ai/complete",
                json={
                    "capability": capability.id,
                    "input": capability.examples[0],
                    "context": {"feature": "e2e", "locale": "en"},
                },
            )
            assert response.status_code == 200, (capability.id, response.text[:300])
            output = response.json()["output"]
            assert list(Draft202012Validator(capability.output_schema).iter_errors(output)) == []
            assert float(response.headers["X-Gateway-Overhead-Ms"]) >= 0


def test_twenty_concurrent_duplicates_run_the_capability_once(live_server_url, tenant_key):
    tenant, key = tenant_key
    example = Capability.objects.get(pk="message.draft").examples[0]
    body = {"capability": "message.draft", "input": example, "context": {"feature": "e2e"}}
    headers = {"X-API-Key": key.raw, "Idempotency-Key": "booking-77-confirmation"}

    def post(_):
        return httpx.post(f"{live_server_url}/api/v1/ai/complete", json=body, headers=headers, timeout=60)

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(post, range(20)))
    assert [r.status_code for r in responses] == [200] * 20
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 19
    with tenant_context(tenant.id):
        assert InferenceRecord.objects.count() == 1


def test_cross_tenant_inference_read_is_404_over_http(live_server_url, tenant_key):
    _, key = tenant_key
    other = ApiKeyFactory(tenant=TenantFactory(), scopes=["ai:invoke"])
    example = Capability.objects.get(pk="upsell.recommend").examples[0]
    created = httpx.post(
        f"{live_server_url}/api/v1/ai/complete",
        headers={"X-API-Key": key.raw},
        json={"capability": "upsell.recommend", "input": example},
        timeout=30,
    ).json()
    url = f"{live_server_url}/api/v1/ai/inferences/{created['id']}"
    assert httpx.get(url, headers={"X-API-Key": key.raw}).status_code == 200
    response = httpx.get(url, headers={"X-API-Key": other.raw})
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_cache_hit_over_http_after_the_first_answer_commits(live_server_url, tenant_key):
    tenant, key = tenant_key
    Tenant.objects.filter(pk=tenant.pk).update(cache_enabled=True)
    example = Capability.objects.get(pk="pricing.suggest").examples[0]
    body = {"capability": "pricing.suggest", "input": example}
    with httpx.Client(base_url=live_server_url, headers={"X-API-Key": key.raw}, timeout=30) as client:
        first = client.post("/api/v1/ai/complete", json=body).json()
        second = client.post("/api/v1/ai/complete", json=body).json()
    assert (first["provenance"]["cache_hit"], second["provenance"]["cache_hit"]) == (False, True)
    assert first["output"] == second["output"]


def test_an_async_request_is_answered_by_a_real_worker_under_the_id_given_at_202(live_server_url, tenant_key):
    import time

    from tests.e2e.conftest import running_worker

    tenant, key = tenant_key
    example = Capability.objects.get(pk="tutor.answer").examples[0]
    with httpx.Client(base_url=live_server_url, headers={"X-API-Key": key.raw}, timeout=30) as client:
        accepted = client.post(
            "/api/v1/ai/complete",
            headers={"Prefer": "respond-async"},
            json={"capability": "tutor.answer", "input": example},
        )
        assert accepted.status_code == 202, accepted.text
        inference_id = accepted.json()["id"]
        with running_worker():
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                body = client.get(f"/api/v1/ai/inferences/{inference_id}").json()
                if body["status"] != "pending":
                    break
                time.sleep(0.3)
    assert (body["status"], body["id"]) == ("completed", inference_id), body
    with tenant_context(tenant.id):
        assert InferenceRecord.objects.filter(pk=inference_id, capability="tutor.answer").exists()
