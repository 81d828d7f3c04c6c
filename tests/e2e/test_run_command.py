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
        valkey.wait(10)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            replacements = [
                child
                for child in psutil.Process(process.pid).children(recursive=True)
                if "valkey-server" in " ".join(child.cmdline()) and child.pid != valkey.pid
            ]
            if replacements and httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                break
            time.sleep(0.3)
        else:
            raise AssertionError("the embedded Valkey was not started again")
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
