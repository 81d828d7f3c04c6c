"""The README's production sequence, run for real on a fresh database, then one request.

    .venv/bin/python scripts/production_sequence.py                 # the commands, from this checkout
    .venv/bin/python scripts/production_sequence.py --image IMAGE   # the same roles, in the container image

A fresh PostgreSQL 16 with pgvector and a Valkey server are started in a temporary directory (the
project's embedded servers: no registry is reachable here for a postgres image). Then, exactly as
README.md "Production" lists them, each step runs in its own process with production settings
(DEBUG off, DEPLOYMENT_ENVIRONMENT=production): bootstrap the roles and database as the superuser,
migrate as the owner role, seed the catalog and the eval suites, build the edge models and publish a
signed manifest, collect the static files, and start the web server. It passes when /readyz answers
200 and one POST /api/v1/ai/complete answers 200 (degraded: no provider is configured). Exit status 0
when it passed; every step's wall time is printed.

With --image the steps are the image's entrypoint roles (`bootstrap`, `release`, `edge-models`, `web`;
collectstatic ran when the image was built), run by podman on the host network as the image's own
non-root user, the database reached over TCP (a relay to the embedded server's socket); the edge model
and signing key directories are host directories mounted into every container, as the volumes of
compose.yaml are. scripts/build_image.sh builds such an image.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# README.md "Production", in order; tests/e2e/test_production_sequence.py checks the README says exactly this.
SEQUENCE = (
    "python manage.py bootstrap_db",
    "python manage.py migrate",
    "python manage.py seed_catalog",
    "python manage.py seed_evals",
    "python manage.py edge_models_build --publish",
    "python manage.py collectstatic --noinput",
    "python -m melmastoon_ai.serve",
)
# The same steps as the image's roles (melmastoon_ai/entrypoint.py); collectstatic is in the image.
IMAGE_SEQUENCE = ("bootstrap", "release", "edge-models", "web")
CONTAINER_UID = 10001
_SERVERS: list[object] = []
READY_TIMEOUT_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _say(message: str) -> None:
    sys.stdout.write(f"[production-sequence] {message}\n")
    sys.stdout.flush()


class Step:
    def __init__(self) -> None:
        self.timings: list[tuple[str, float]] = []

    def run(self, name: str, command: list[str], env: dict[str, str]) -> str:
        started = time.perf_counter()
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
        self.timings.append((name, elapsed))
        if result.returncode != 0:
            sys.stderr.write(result.stdout[-5000:] + result.stderr[-5000:])
            raise SystemExit(f"step failed: {name} (exit {result.returncode})")
        _say(f"{name}: ok in {elapsed:.1f} s")
        return result.stdout


def _fresh_servers(workdir: Path) -> tuple[str, str]:
    """(superuser URL of a new PostgreSQL 16 + pgvector, URL of a new Valkey), stopped with the process."""
    from melmastoon_ai.infra import embedded

    postgres = embedded.start_postgres(workdir / "pgdata", cleanup_mode="delete")
    redis_server = embedded.start_redis()
    _SERVERS.extend((postgres, redis_server))  # a server lives as long as its object
    return postgres.superuser_url, redis_server.url


def _role_urls(superuser_url: str) -> tuple[str, str]:
    """The application and owner URLs the operator configures: same server, own roles and passwords."""
    from melmastoon_ai.infra.bootstrap import APP_ROLE, DATABASE, OWNER_ROLE, _with_user_and_db

    return (
        _with_user_and_db(superuser_url, APP_ROLE, secrets.token_urlsafe(16), DATABASE),
        _with_user_and_db(superuser_url, OWNER_ROLE, secrets.token_urlsafe(16), DATABASE),
    )


def _wait_ready(base: str, alive) -> float:
    import httpx

    started = time.perf_counter()
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    last = None
    while time.monotonic() < deadline:
        if not alive():
            raise SystemExit("the web server exited before it was ready")
        try:
            last = httpx.get(f"{base}/readyz", timeout=2)
            if last.status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise SystemExit(f"/readyz never answered 200: {last.text if last is not None else 'no answer'}")


def _one_request(base: str, key: str) -> dict:
    import httpx

    response = httpx.post(
        f"{base}/api/v1/ai/complete",
        headers={"X-API-Key": key},
        timeout=30,
        json={
            "capability": "pricing.suggest",
            "context": {"feature": "pricing", "locale": "en"},
            "input": {"bar": {"amount": 120, "currency": "EUR"}, "occupancy_pct": 88, "stay_date": "2027-03-14"},
        },
    )
    if response.status_code != 200:
        raise SystemExit(f"POST /complete answered {response.status_code}: {response.text[:2000]}")
    return response.json()


class SocketRelay:
    """TCP on 127.0.0.1 to the embedded server's unix socket (inside its 0700 data directory), so that
    a container, as its own non-root user, connects over TCP as a production instance does."""

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self.socket_path)
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, target), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, target):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def tcp_url(self, url: str) -> str:
        """The same URL over the relay: host 127.0.0.1 and its port instead of the socket directory."""
        parts = urlsplit(url)
        credentials = parts.netloc.rpartition("@")[0]
        return urlunsplit((parts.scheme, f"{credentials}@127.0.0.1:{self.port}", parts.path, "", ""))

    def close(self) -> None:
        self.listener.close()


class HostRunner:
    """Each step as README.md writes it, with this checkout's interpreter."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def command(self, line: str) -> list[str]:
        program, *args = line.split()
        return [sys.executable, *args] if program == "python" else [program, *args]

    def manage(self, *args: str) -> list[str]:
        return [sys.executable, "manage.py", *args]

    def start_web(self, stack: ExitStack) -> tuple[str, callable]:
        port = _free_port()
        log = stack.enter_context(tempfile.TemporaryFile(mode="w+"))
        process = subprocess.Popen(
            self.command(SEQUENCE[-1]),
            cwd=ROOT,
            env=self.env | {"PORT": str(port)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        stack.callback(_stop, process)
        stack.callback(_show_log_on_failure, log)
        return f"http://127.0.0.1:{port}", lambda: process.poll() is None


class PodmanRunner:
    """Each step as the image's role, on the host network; the database socket and the edge model and
    key directories mounted in."""

    def __init__(self, env: dict[str, str], image: str, workdir: Path) -> None:
        self.env, self.image = env, image
        self.mounts = []
        for name, target in (
            ("edge-models", "/var/lib/melmastoon/edge-models"),
            ("manifest-keys", "/var/lib/melmastoon/manifest-keys"),
        ):
            path = workdir / name
            path.mkdir(mode=0o700)
            os.chown(path, CONTAINER_UID, CONTAINER_UID)
            self.mounts += ["-v", f"{path}:{target}"]
        self.names = []

    def _base(self, *extra: str) -> list[str]:
        passed = [arg for name in self.env_names() for arg in ("-e", name)]
        return [
            "podman",
            "--runtime",
            "runc",
            "run",
            "--network",
            "host",
            "--ulimit",
            "nofile=4096:4096",
            "--ulimit",
            "nproc=4096:4096",
            *self.mounts,
            *passed,
            *extra,
        ]

    def env_names(self) -> list[str]:
        return [
            name
            for name in (
                "DATABASE_URL",
                "MIGRATION_DATABASE_URL",
                "DATABASE_SUPERUSER_URL",
                "REDIS_URL",
                "SECRET_KEY",
                "DEPLOYMENT_ENVIRONMENT",
                "DEBUG",
                "PORT",
                "LOG_LEVEL",
            )
            if name in self.env
        ]

    def role(self, role: str, *args: str) -> list[str]:
        return [*self._base("--rm"), self.image, role, *args]

    def manage(self, *args: str) -> list[str]:
        return self.role(*args)

    def start_web(self, stack: ExitStack) -> tuple[str, callable]:
        port = _free_port()
        name = f"mlm-sequence-{port}"
        self.env["PORT"] = str(port)
        subprocess.run(
            [*self._base("-d", "--name", name), self.image, "web"], env=self.env, check=True, capture_output=True
        )
        stack.callback(subprocess.run, ["podman", "rm", "-f", name], capture_output=True, check=False)
        stack.callback(_show_container_log_on_failure, name)

        def alive() -> bool:
            state = subprocess.run(
                ["podman", "inspect", "-f", "{{.State.Running}}", name], capture_output=True, text=True, check=False
            )
            return state.stdout.strip() == "true"

        return f"http://127.0.0.1:{port}", alive


_failed = False


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()


def _show_log_on_failure(log) -> None:
    if _failed:
        log.seek(0)
        sys.stderr.write(f"--- web server log ---\n{log.read()[-20000:]}\n")


def _show_container_log_on_failure(name: str) -> None:
    if _failed:
        logs = subprocess.run(["podman", "logs", name], capture_output=True, text=True, check=False)
        sys.stderr.write(f"--- container log ---\n{(logs.stdout + logs.stderr)[-20000:]}\n")


def run(image: str | None) -> list[tuple[str, float]]:
    global _failed
    workdir = Path(tempfile.mkdtemp(prefix="mlm-sequence-"))
    step = Step()
    try:
        with ExitStack() as stack:
            superuser_url, redis_url = _fresh_servers(workdir)
            app_url, owner_url = _role_urls(superuser_url)
            env = {
                key: value
                for key, value in os.environ.items()
                if not key.startswith(("DATABASE_", "MIGRATION_", "REDIS_", "TEST_", "EDGE_", "MANIFEST_"))
            }
            env.update(
                DATABASE_SUPERUSER_URL=superuser_url,
                DATABASE_URL=app_url,
                MIGRATION_DATABASE_URL=owner_url,
                REDIS_URL=redis_url,
                SECRET_KEY=secrets.token_urlsafe(40),
                DEBUG="0",
                DEPLOYMENT_ENVIRONMENT="production",
                DJANGO_SETTINGS_MODULE="melmastoon_ai.settings.base",
                MELMASTOON_VAR_DIR=str(workdir / "var"),
                HOST="127.0.0.1",
                LOG_LEVEL="WARNING",
            )
            if image:
                socket_dir = parse_qs(urlsplit(superuser_url).query)["host"][0]
                relay = SocketRelay(f"{socket_dir}/.s.PGSQL.5432")
                stack.callback(relay.close)
                env.update(
                    {
                        name: relay.tcp_url(env[name])
                        for name in ("DATABASE_SUPERUSER_URL", "DATABASE_URL", "MIGRATION_DATABASE_URL")
                    }
                )
                runner = PodmanRunner(env, image, workdir)
                for role in IMAGE_SEQUENCE[:-1]:
                    step.run(role, runner.role(role), env)
            else:
                env.update(
                    EDGE_MODEL_DIR=str(workdir / "edge-models"), MANIFEST_LOCAL_KEY_DIR=str(workdir / "manifest-keys")
                )
                runner = HostRunner(env)
                for line in SEQUENCE[:-1]:
                    step.run(line, runner.command(line), env)
            started = time.perf_counter()
            base, alive = runner.start_web(stack)
            ready = _wait_ready(base, alive)
            step.timings.append(("start web until /readyz 200", time.perf_counter() - started))
            _say(f"/readyz 200 after {ready:.1f} s")
            tenant = step.run("create_tenant", runner.manage("create_tenant", "Sequence Hotel"), env).strip()
            key = step.run("create_api_key", runner.manage("create_api_key", "--tenant", tenant), env).strip()
            body = _one_request(base, key.splitlines()[-1])
            _say(f"POST /complete: 200, provider {body['provenance']['provider']}, degraded {body['degraded']}")
    except BaseException:
        _failed = True
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return step.timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", help="run the steps as this container image's roles (podman)")
    timings = run(parser.parse_args().image)
    total = sum(seconds for _, seconds in timings)
    _say("passed; " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings) + f"; total {total:.1f} s")


if __name__ == "__main__":
    main()
