"""The service behind PgBouncer in transaction pooling mode (docs/architecture.md, "Serving"):
nothing relies on session state across transactions (the tenant is set per transaction, no
session advisory locks, no prepared statements), so server connections shared between requests
of different tenants never leak one tenant's rows to another.

PgBouncer comes from Debian's `pgbouncer` package (`.ci/run` installs it); without it the test is
skipped locally and fails in CI.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from capabilities.models import Capability
from tests.e2e.conftest import free_port, running_server
from tests.factories import ApiKeyFactory, TenantFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


@pytest.fixture
def pgbouncer():
    if not Path(PGBOUNCER).exists():
        if os.environ.get("CI"):
            pytest.fail("pgbouncer is not installed (apt-get install pgbouncer; .ci/run does)")
        pytest.skip("Debian's pgbouncer is not installed (apt-get install pgbouncer)")
    socket_dir = dict(part.split("=", 1) for part in urlsplit(os.environ["DATABASE_URL"]).query.split("&"))["host"]
    owner = Path(socket_dir).owner()  # the embedded PostgreSQL's socket is private to its user
    workdir = Path(tempfile.mkdtemp(prefix="mlm-pgbouncer-"))  # readable by the socket's user, unlike tmp_path
    port = free_port()
    config = workdir / "pgbouncer.ini"
    config.write_text(f"""[databases]
melmastoon = host={socket_dir} dbname=melmastoon user=melmastoon_app

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = 2
max_client_conn = 200
ignore_startup_parameters = extra_float_digits,application_name,options
""")
    workdir.chmod(0o755)
    config.chmod(0o644)
    command = [PGBOUNCER, str(config)] if os.geteuid() else [PGBOUNCER, "-u", owner, str(config)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited: {process.stderr.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"postgresql://melmastoon_app@127.0.0.1:{port}/melmastoon"
    process.terminate()
    process.wait(10)
    shutil.rmtree(workdir, ignore_errors=True)


def test_requests_of_two_tenants_through_transaction_pooling_stay_apart(catalog, pgbouncer):
    hotels = [TenantFactory(rate_limit_per_minute=10_000, cache_enabled=False) for _ in range(2)]
    keys = [ApiKeyFactory(tenant=hotel, scopes=["ai:invoke"]).raw for hotel in hotels]
    example = Capability.objects.get(pk="upsell.recommend").examples[0]
    with running_server(workers=1, threads=8, DATABASE_URL=pgbouncer, DB_POOL_MAX_SIZE="4") as url:
        ids: list[list[str]] = [[], []]
        with httpx.Client(base_url=url, timeout=30) as client:
            for round_ in range(5):
                for number, key in enumerate(keys):
                    answer = client.post(
                        "/api/v1/ai/complete",
                        headers={"X-API-Key": key},
                        json={"capability": "upsell.recommend", "input": example, "context": {"feature": f"r{round_}"}},
                    )
                    assert answer.status_code == 200, answer.text[:300]
                    ids[number].append(answer.json()["id"])
            for number, key in enumerate(keys):
                other = ids[1 - number][0]
                own = client.get(f"/api/v1/ai/inferences/{ids[number][0]}", headers={"X-API-Key": key})
                assert own.status_code == 200
                assert client.get(f"/api/v1/ai/inferences/{other}", headers={"X-API-Key": key}).status_code == 404
            assert client.get("/readyz").status_code == 200
