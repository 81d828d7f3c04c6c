"""Provider secrets rotate without a restart: the key file changes, the server gets SIGHUP, and the
next call presents the new key. gunicorn's SIGHUP starts new workers and stops the old ones; the
application stays imported in the master (preload_app), so the settings the workers inherit are the
master's, from start. Each new worker reads the provider secrets again (melmastoon_ai/serving.py)."""

from __future__ import annotations

import os
import signal
import time

import httpx
import psutil
import pytest

from capabilities.models import Capability
from melmastoon_ai.tenancy.models import Tenant
from tests.e2e.conftest import running_server_process
from tests.factories import ApiKeyFactory, TenantFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _workers(master: int) -> set[int]:
    return {child.pid for child in psutil.Process(master).children()}


def _complete(base: str, key: str) -> dict:
    example = Capability.objects.get(pk="pricing.suggest").examples[0]
    response = httpx.post(
        f"{base}/api/v1/ai/complete",
        headers={"X-API-Key": key},
        timeout=30,
        json={"capability": "pricing.suggest", "input": example, "context": {"feature": "rotation"}},
    )
    assert response.status_code == 200, response.text[:500]
    return response.json()


def test_sighup_makes_new_workers_read_the_rotated_provider_key(catalog, openai_fake, tmp_path):
    tenant = TenantFactory()
    Tenant.objects.filter(pk=tenant.pk).update(cache_enabled=False, rate_limit_per_minute=10_000)
    key = ApiKeyFactory(tenant=tenant, scopes=["ai:invoke"]).raw
    key_file = tmp_path / "openai-api-key"
    key_file.write_text("sk-fake-rotation-one\n")
    env = {
        "OPENAI_API_KEY_FILE": str(key_file),
        "OPENAI_BASE_URL": f"{openai_fake.base_url}/v1",
        "OPENAI_API_KEY": "",
        "ANTHROPIC_API_KEY": "",
        "VERTEX_PROJECT": "",
        "MODEL_ENDPOINT_ALLOWED_HOSTS": "127.0.0.1",
    }
    with running_server_process(workers=1, threads=4, **env) as (base, master):
        assert _complete(base, key)["provenance"]["provider"] == "openai"
        assert openai_fake.received[-1].headers["authorization"] == "Bearer sk-fake-rotation-one"

        key_file.write_text("sk-fake-rotation-two\n")
        _complete(base, key)  # the running worker keeps the key it read at its start
        assert openai_fake.received[-1].headers["authorization"] == "Bearer sk-fake-rotation-one"

        before = _workers(master.pid)
        os.kill(master.pid, signal.SIGHUP)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not _workers(master.pid) or _workers(master.pid) & before):
            time.sleep(0.2)
        assert _workers(master.pid) and not _workers(master.pid) & before, "SIGHUP did not replace the workers"
        assert httpx.get(f"{base}/readyz", timeout=10).status_code == 200
        _complete(base, key)
        assert openai_fake.received[-1].headers["authorization"] == "Bearer sk-fake-rotation-two"
