"""Real processes for whole-flow tests: gunicorn serving the app, a Celery worker on Redis.

They reach the test session's own PostgreSQL and Redis through the environment that
`melmastoon_ai.settings.test` exported, with production settings (`settings.base`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_env(**overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DJANGO_SETTINGS_MODULE="melmastoon_ai.settings.base", DEBUG="0", PYTHONUNBUFFERED="1")
    env.update(overrides)
    return env


def _wait_http(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise TimeoutError(url)


@contextmanager
def running_server(workers: int = 2, threads: int = 8, **env: str) -> Iterator[str]:
    """The production server as `make serve` starts it (melmastoon_ai.serve: gunicorn, threaded
    workers, a database pool per worker), on a free port. Its log is shown when the test fails."""
    with running_server_process(workers, threads, **env) as (base, _process):
        yield base


@contextmanager
def running_server_process(workers: int = 2, threads: int = 8, **env: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """`running_server`, with the server's process (gunicorn's master) for a test that signals it."""
    port = free_port()
    env = {"HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": str(workers), "WEB_THREADS": str(threads), **env}
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        [str(BIN / "python"), "-m", "melmastoon_ai.serve"],
        cwd=ROOT,
        env=service_env(**env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{base}/healthz", process, timeout=60)
        yield base, process
    except BaseException:
        log.seek(0)
        sys.stderr.write(f"--- server log ---\n{log.read()[-20000:]}\n")
        raise
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@contextmanager
def running_worker(**env: str) -> Iterator[subprocess.Popen]:
    command = [
        str(BIN / "celery"),
        "-A",
        "melmastoon_ai",
        "worker",
        "--pool",
        "solo",
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=service_env(**env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def live_server_url(transactional_db, catalog) -> Iterator[str]:
    """A server started after the catalog is seeded, as in production (seed_catalog, then serve)."""
    with running_server() as url:
        yield url
