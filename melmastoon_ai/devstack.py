"""The run command: embedded PostgreSQL and Redis (unless configured), migrations, the catalog,
then the web server, a Celery worker and Celery beat, all stopped together on Ctrl-C.

    python -m melmastoon_ai.devstack        (what `make run` calls)

Nothing here runs in production, where each process is started by the platform with
DATABASE_URL and REDIS_URL set.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from melmastoon_ai.infra import local

if TYPE_CHECKING:
    from melmastoon_ai.infra.embedded import EmbeddedRedis

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
logger = logging.getLogger("devstack")
STOP_TIMEOUT_SECONDS = 15


def _say(message: str) -> None:
    sys.stderr.write(f"[devstack] {message}\n")
    sys.stderr.flush()


_EMBEDDED: dict[str, EmbeddedRedis] = {}  # the embedded servers this launcher started and looks after


def _keep_redis_alive() -> None:
    """The embedded Valkey died (killed, crashed): start it again on the same port, so the server,
    worker and beat reconnect to the URL they already have."""
    from melmastoon_ai.infra import embedded

    current = _EMBEDDED.get("redis")
    if current is None or current.server.is_running():
        return
    _say("embedded Redis (Valkey) stopped; starting it again")
    _EMBEDDED["redis"] = embedded.start_redis(
        local.VAR_DIR / "valkey", port=current.server.port, own_process_group=True
    )


def _prepare_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "melmastoon_ai.settings.base")
    env.setdefault("DEBUG", "1")
    if not env.get("SECRET_KEY") and not env.get("SECRET_KEY_FILE"):
        env["SECRET_KEY"] = local.local_secret_key()
    env.setdefault("PYTHONUNBUFFERED", "1")
    if not env.get("DATABASE_URL"):
        app_url, owner_url = local.local_database_urls()
        env["DATABASE_URL"] = app_url
        env["MIGRATION_DATABASE_URL"] = owner_url
        local.write_run_file(local.DATABASE_URLS_FILE, f"{app_url}\n{owner_url}")  # for manage.py beside it
        _say(f"embedded PostgreSQL 16 + pgvector, data in {local.VAR_DIR / 'pgdata'}")
    if not env.get("REDIS_URL"):
        from melmastoon_ai.infra import embedded

        redis_server = embedded.start_redis(local.VAR_DIR / "valkey", own_process_group=True)
        _EMBEDDED["redis"] = redis_server
        local.write_run_file(local.REDIS_URL_FILE, redis_server.url)
        env["REDIS_URL"] = redis_server.url
        _say(f"embedded Redis (Valkey) at {redis_server.url}")
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env, check=True)


def _spawn(env: dict[str, str], name: str, command: list[str]) -> subprocess.Popen:
    _say(f"starting {name}: {' '.join(command)}")
    # Own session: Ctrl-C reaches only this launcher, which then stops the children in order.
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def _stop(processes: dict[str, subprocess.Popen]) -> None:
    for name, process in processes.items():
        if process.poll() is None:
            _say(f"stopping {name}")
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for process in processes.values():
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> int:
    env = _prepare_environment()
    port = env.get("PORT", "8000")
    _manage(env, "prepare_local")  # migrate, seed the catalog and evals, build the edge models once
    celery = str(BIN / "celery")
    processes = {
        # the production server and settings, with development values (DEBUG, 127.0.0.1)
        "web": _spawn(
            env | {"HOST": "127.0.0.1", "PORT": port}, "web", [str(BIN / "python"), "-m", "melmastoon_ai.serve"]
        ),
        "worker": _spawn(
            env, "worker", [celery, "-A", "melmastoon_ai", "worker", "--loglevel", "INFO", "--concurrency", "2"]
        ),
        "beat": _spawn(env, "beat", [celery, "-A", "melmastoon_ai", "beat", "--loglevel", "INFO"]),
    }
    _say(f"serving on http://127.0.0.1:{port}  (Ctrl-C stops the server, worker and beat)")
    stopping = False

    def _request_stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)
    exit_code = 0
    while not stopping:
        for name, process in processes.items():
            if process.poll() is not None:
                _say(f"{name} exited with {process.returncode}; stopping everything")
                exit_code = process.returncode or 1
                stopping = True
        _keep_redis_alive()
        time.sleep(0.5)
    _stop(processes)
    redis_server = _EMBEDDED.pop("redis", None)
    if redis_server is not None:  # last: the worker and beat have gone
        _say("stopping embedded Redis (Valkey)")
        redis_server.server.stop()
    for run_file in (local.REDIS_URL_FILE, local.DATABASE_URLS_FILE):
        run_file.unlink(missing_ok=True)
    _say("stopped")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
