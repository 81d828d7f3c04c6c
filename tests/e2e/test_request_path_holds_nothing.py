"""While a request waits on a provider it holds nothing in PostgreSQL: no transaction (no session
idle in transaction), no lock (API key, budget, idempotency rows), and its pooled connection is
back in the pool; another request of the same tenant and key completes in the meantime.

Through the production server (gunicorn, threaded workers, the database pool) and the fake Vertex
server, which holds the first completion open.
"""

from __future__ import annotations

import os
import threading
import time

import httpx
import pytest
from django.db import connection

from budgets.models import Budget, BudgetPeriod
from capabilities.models import Capability, IdempotencyRecord, InferenceRecord
from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.tenancy.models import ApiKey
from tests.e2e.conftest import running_server
from tests.factories import ApiKeyFactory, TenantFactory
from tests.routing.providers.support import FAKE_PROJECT, FAKE_VERTEX_TOKEN

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
APP = "mlm-holds-nothing"
HOLD_MS = 6000


def _with_application_name(url: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}application_name={APP}"


def _server_sessions() -> list[tuple[str, bool]]:
    """(state, in a transaction) of every session the server has open."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT state, xact_start IS NOT NULL FROM pg_stat_activity WHERE application_name = %s", [APP])
        return cursor.fetchall()


def _server_locks() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.locktype, coalesce(l.relation::regclass::text, '') FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE a.application_name = %s",
            [APP],
        )
        return cursor.fetchall()


def _lock_now(model, **lookup) -> int:
    """Lock the rows at once or fail (NOWAIT): proof that nobody else holds them."""
    return len(list(model.objects.select_for_update(nowait=True).filter(**lookup)))


def _wait_for(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_request_waiting_on_a_provider_holds_no_transaction_lock_or_connection(catalog, vertex_fake):
    tenant = TenantFactory(rate_limit_per_minute=10_000, cache_enabled=False)
    key = ApiKeyFactory(tenant=tenant, scopes=["ai:invoke"])
    with tenant_context(tenant.id):
        Budget.objects.create(tenant=tenant, token_limit=1_000_000)
    vertex_fake.script(times=1, latency_ms=HOLD_MS)  # the first completion is held open
    env = {
        "VERTEX_BASE_URL": vertex_fake.base_url,
        "VERTEX_PROJECT": FAKE_PROJECT,
        "VERTEX_ACCESS_TOKEN": FAKE_VERTEX_TOKEN,
        "VERTEX_LOCATION": "europe-west1",
        "DATABASE_URL": _with_application_name(os.environ["DATABASE_URL"]),
    }
    forecast = Capability.objects.get(pk="pricing.demand_forecast")  # a batch capability: 30 s per attempt
    pricing = Capability.objects.get(pk="pricing.suggest")
    headers = {"X-API-Key": key.raw}
    with running_server(workers=1, threads=8, **env) as url:
        held: dict = {}

        def first() -> None:
            held["response"] = httpx.post(
                f"{url}/api/v1/ai/complete",
                timeout=60,
                headers=headers | {"Idempotency-Key": "forecast-2027-03"},
                json={"capability": forecast.id, "input": forecast.examples[0]},
            )

        waiting = threading.Thread(target=first)
        waiting.start()
        _wait_for(
            lambda: any(":generateContent" in r.path for r in vertex_fake.received),
            timeout=30,
            what="the first request to reach the provider",
        )

        # while the provider holds it: no session in a transaction, no lock, only idle pooled connections
        sessions = _server_sessions()
        assert sessions and all(state == "idle" and not in_transaction for state, in_transaction in sessions)
        assert _server_locks() == []
        with tenant_context(tenant.id):
            assert _lock_now(ApiKey, pk=key.key.pk) == 1
            assert _lock_now(BudgetPeriod, budget__tenant=tenant) == 1
            assert _lock_now(IdempotencyRecord, key="forecast-2027-03") == 1  # committed: a duplicate sees it
            assert IdempotencyRecord.objects.get(key="forecast-2027-03").state == "in_progress"

        # a second request of the same tenant and key completes meanwhile
        started = time.monotonic()
        second = httpx.post(
            f"{url}/api/v1/ai/complete",
            headers=headers,
            timeout=30,
            json={"capability": pricing.id, "input": pricing.examples[0]},
        )
        assert second.status_code == 200, second.text[:300]
        assert second.json()["provenance"]["provider"] == "vertex"
        assert waiting.is_alive(), "the first request should still be waiting on the provider"
        assert time.monotonic() - started < HOLD_MS / 1000

        waiting.join(60)
        assert held["response"].status_code == 200, held["response"].text[:300]
        assert held["response"].json()["provenance"]["provider"] == "vertex"
    with tenant_context(tenant.id):
        assert IdempotencyRecord.objects.get(key="forecast-2027-03").state == "completed"
        assert InferenceRecord.objects.count() == 2


def test_a_streaming_response_holds_no_transaction_lock_or_connection_while_it_streams(catalog, vertex_fake):
    tenant = TenantFactory(rate_limit_per_minute=10_000, cache_enabled=False)
    key = ApiKeyFactory(tenant=tenant, scopes=["ai:invoke"])
    vertex_fake.script(times=1, chunk_delay_ms=25)  # the streamed answer takes seconds to arrive
    env = {
        "VERTEX_BASE_URL": vertex_fake.base_url,
        "VERTEX_PROJECT": FAKE_PROJECT,
        "VERTEX_ACCESS_TOKEN": FAKE_VERTEX_TOKEN,
        "VERTEX_LOCATION": "europe-west1",
        "DATABASE_URL": _with_application_name(os.environ["DATABASE_URL"]),
    }
    description = Capability.objects.get(pk="description.generate")
    headers = {"X-API-Key": key.raw, "Accept": "text/event-stream", "Idempotency-Key": "room-12-description"}
    with running_server(workers=1, threads=8, **env) as url:
        lines: list[str] = []
        with httpx.stream(
            "POST",
            f"{url}/api/v1/ai/complete",
            headers=headers,
            timeout=60,
            json={"capability": description.id, "input": description.examples[0]},
        ) as response:
            assert response.status_code == 200
            stream = response.iter_lines()
            while "event: delta" not in lines:
                lines.append(next(stream))
            # mid-stream: the provider is still sending; the server holds nothing in PostgreSQL
            sessions = _server_sessions()
            assert all(state == "idle" and not in_transaction for state, in_transaction in sessions)
            assert _server_locks() == []
            with tenant_context(tenant.id):
                assert _lock_now(IdempotencyRecord, key="room-12-description") == 1
            lines.extend(stream)
    events = [line for line in lines if line.startswith("event: ")]
    assert events[-1] == "event: completed" and events.count("event: completed") == 1
    with tenant_context(tenant.id):
        assert InferenceRecord.objects.count() == 1
