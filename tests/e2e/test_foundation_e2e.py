"""The service as it runs in production: gunicorn, a real Celery worker, Redis, PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import time
import uuid

import httpx
import pytest
import redis
from django.conf import settings

from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.outbox.services import outbox_emit
from melmastoon_ai.outbox.tasks import relay
from melmastoon_ai.tenancy.context import platform_access, tenant_context
from tests.e2e.conftest import BIN, ROOT, running_server, running_worker, service_env
from tests.factories import ApiKeyFactory, TenantFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_server_is_ready_and_serves_a_tenant_over_http(live_server_url, catalog):
    tenant = TenantFactory()
    key = ApiKeyFactory(tenant=tenant, scopes=["ai:admin"])
    other = ApiKeyFactory(tenant=TenantFactory(), scopes=["ai:admin"])
    assert httpx.get(f"{live_server_url}/readyz").status_code == 200
    response = httpx.get(f"{live_server_url}/api/v1/admin/api-keys", headers={"X-API-Key": key.raw})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [str(key.key.id)]
    revoke = httpx.post(
        f"{live_server_url}/api/v1/admin/api-keys/{other.key.id}/revoke", headers={"X-API-Key": key.raw}
    )
    assert revoke.status_code == 404


def test_database_down_gives_503_unavailable_not_500(transactional_db):
    dead = "postgresql://melmastoon_app@/melmastoon?host=/nonexistent-socket-dir"
    with running_server(workers=1, DATABASE_URL=dead, MIGRATION_DATABASE_URL=dead, DB_CONNECT_TIMEOUT="1") as url:
        ready = httpx.get(f"{url}/readyz", timeout=10)
        assert ready.status_code == 503
        assert "database" in ready.json()["failing"]
        api = httpx.get(f"{url}/api/v1/admin/api-keys", headers={"X-API-Key": "mlm_abcdefgh12_" + "x" * 30}, timeout=10)
        assert api.status_code == 503
        assert api.json()["error"]["code"] == "unavailable"
        assert api.headers["X-Request-ID"]


def test_superuser_connection_is_refused_at_start(transactional_db):
    url = os.environ["DATABASE_URL"].replace("melmastoon_app@", "postgres@", 1)
    assert "postgres@" in url
    probe = subprocess.run(
        [str(BIN / "python"), "-c", "import melmastoon_ai.wsgi"],
        cwd=ROOT,
        env=service_env(DATABASE_URL=url, MIGRATION_DATABASE_URL=url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode != 0
    assert "tenancy.E001" in probe.stderr


def test_a_real_worker_relays_the_outbox_through_redis(transactional_db):
    prefix = f"e2e.{uuid.uuid4().hex}."
    tenant = TenantFactory()
    with tenant_context(tenant.id):
        event = outbox_emit(topic="inference.completed", payload={"ok": True}, tenant_id=tenant.id)
    client = redis.Redis.from_url(settings.REDIS_URL)
    with running_worker(OUTBOX_STREAM_PREFIX=prefix):
        relay.delay()
        deadline = time.monotonic() + 30
        entries = []
        while time.monotonic() < deadline and not entries:
            entries = client.xrange(f"{prefix}inference.events.v1")  # the Pub/Sub topic's name (issue 20)
            time.sleep(0.2)
    assert [fields[b"id"].decode() for _, fields in entries] == [str(event.id)]
    with platform_access(actor="test", reason="check relay"):
        assert OutboxEvent.objects.get(pk=event.pk).published_at is not None
