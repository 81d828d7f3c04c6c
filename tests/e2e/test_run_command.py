"""The README's run command on a fresh data directory: server, worker and beat come up with the
embedded PostgreSQL and Redis, /readyz answers 200, and Ctrl-C stops every process: the signal
goes to the whole foreground process group, as a terminal sends it, and the embedded Valkey
outlives the worker and beat, which therefore never log a lost broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import psutil
import pytest

from tests.e2e.conftest import ROOT, free_port

pytestmark = pytest.mark.e2e


def _valkey_pids(parent: int) -> list[int]:
    """The live valkey-server processes under the run command (a zombie not yet reaped is skipped)."""
    pids = []
    for child in psutil.Process(parent).children(recursive=True):
        try:
            if "valkey-server" in " ".join(child.cmdline()):
                pids.append(child.pid)
        except psutil.Error:
            continue
    return pids


def test_run_command_serves_ready_and_stops_everything_on_ctrl_c(tmp_path):
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "MIGRATION_DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")
    }
    env.update(MELMASTOON_VAR_DIR=str(tmp_path / "var"), PORT=str(port))
    log_path = tmp_path / "devstack.log"
    log = log_path.open("w")
    # A session of its own stands for the terminal: killpg below is what Ctrl-C there sends.
    process = subprocess.Popen(
        [sys.executable, "-m", "melmastoon_ai.devstack"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        ready = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                if ready.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        assert ready is not None and ready.status_code == 200, log_path.read_text()[-4000:]
        assert ready.json()["checks"]["catalog"]["status"] == "ok"
        children = psutil.Process(process.pid).children(recursive=True)
        commands = " ".join(" ".join(child.cmdline()) for child in children)
        assert "melmastoon_ai.serve" in commands and " worker" in commands and " beat" in commands
        assert "runserver" not in commands  # the production server, with development values

        # the embedded Valkey dies: the run command starts it again and the service is ready again
        valkey = next(child for child in children if "valkey-server" in " ".join(child.cmdline()))
        valkey.kill()
        # Not valkey.wait(): the run command, its parent, reaps it, and psutil's wait on a process
        # that is not ours polls its pid, which a loaded machine may hand to a new process meanwhile.
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            replacements = [pid for pid in _valkey_pids(process.pid) if pid != valkey.pid]
            try:
                ready_again = bool(replacements) and httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
            except httpx.HTTPError:
                ready_again = False
            if ready_again and ready_again.status_code == 200:
                break
            time.sleep(0.3)
        else:
            raise AssertionError("the embedded Valkey was not started again: " + log_path.read_text()[-4000:])
        children = psutil.Process(process.pid).children(recursive=True)
        stopping_from = len(log_path.read_text())
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(60)
        log.close()
    assert process.returncode == 0
    shutdown = log_path.read_text()[stopping_from:]
    assert "stopping embedded Redis" in shutdown
    assert "Connection to broker lost" not in shutdown and "Error 111" not in shutdown, shutdown[-4000:]
    time.sleep(1)
    assert [child.pid for child in children if child.is_running() and child.status() != psutil.STATUS_ZOMBIE] == []
