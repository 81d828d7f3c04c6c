"""A throwaway production-like stack for benchmarks: embedded PostgreSQL 16 + Valkey in a
temporary directory, migrated and seeded, served by gunicorn. Nothing here is a test."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def infrastructure() -> Iterator[dict[str, str]]:
    from melmastoon_ai.infra import embedded
    from melmastoon_ai.infra.local import local_database_urls

    workdir = Path(tempfile.mkdtemp(prefix="mlm-bench-"))
    app_url, owner_url = local_database_urls(workdir / "pgdata", cleanup_mode="delete")
    redis_server = embedded.start_redis()
    env = dict(
        os.environ,
        DATABASE_URL=app_url,
        MIGRATION_DATABASE_URL=owner_url,
        REDIS_URL=redis_server.url,
        DJANGO_SETTINGS_MODULE="melmastoon_ai.settings.base",
        SECRET_KEY="bench-only",
        DEBUG="0",
        LOG_LEVEL="WARNING",
    )
    subprocess.run([str(BIN / "python"), "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([str(BIN / "python"), "manage.py", "seed_catalog", "-v0"], cwd=ROOT, env=env, check=True)
    yield env


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int, threads: int) -> Iterator[str]:
    """The production server as an instance starts it (`python -m melmastoon_ai.serve`)."""
    port = _free_port()
    process = subprocess.Popen(
        [str(BIN / "python"), "-m", "melmastoon_ai.serve"],
        cwd=ROOT,
        env=env
        | {"HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": str(workers), "WEB_THREADS": str(threads)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    ready_after_s(base, process)
    try:
        yield base
    finally:
        process.terminate()
        try:
            process.wait(40)  # gunicorn's graceful timeout (30 s) for connections still open
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def ready_after_s(base: str, process: subprocess.Popen, timeout: float = 60) -> float:
    """Seconds from now until `base`/readyz answers 200."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    raise TimeoutError("the server did not become ready")


def median_ms(call, repeat: int) -> float:
    """The median wall time of `repeat` calls, in milliseconds."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)
