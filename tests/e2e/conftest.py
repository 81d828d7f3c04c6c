"""Real processes for whole-flow tests: gunicorn serving the app, a Celery worker on Redis.

They reach the test session's own PostgreSQL and Redis through the environment that
`melmastoon_ai.settings.test` exported, with production settings (`settings.base`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
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
def running_server(workers: int = 2, **env: str) -> Iterator[str]:
    port = free_port()
    command = [str(BIN / "gunicorn"), "melmastoon_ai.wsgi:application", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--threads", "4", "--timeout", "60"]
    process = subprocess.Popen(command, cwd=ROOT, env=service_env(**env),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{base}/healthz", process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def running_worker(**env: str) -> Iterator[subprocess.Popen]:
    command = [str(BIN / "celery"), "-A", "melmastoon_ai", "worker", "--pool", "solo", "--loglevel", "WARNING",
               "--without-gossip", "--without-mingle", "--without-heartbeat"]
    process = subprocess.Popen(command, cwd=ROOT, env=service_env(**env),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def live_server_url(transactional_db) -> Iterator[str]:
    with running_server() as url:
        yield url
