"""Resolve database and Redis URLs for a machine with no `DATABASE_URL` / `REDIS_URL`.

The run command (`melmastoon_ai.devstack`) starts the embedded servers once and hands their
URLs to the server, the worker and beat through the environment. A management command run
by hand beside it finds the same servers through the URL files the run command writes under
`var/run/` (and removes when it stops). Nothing else starts an embedded server: settings fail
fast without `DATABASE_URL` / `REDIS_URL` unless the run command's servers are up or
`EMBEDDED_SERVERS=1` asks for new ones (a one-off command on a developer's machine), so a
production process with a missing URL stops at once instead of serving from a private database.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ImproperlyConfigured

from melmastoon_ai.infra import bootstrap
from melmastoon_ai.infra import embedded as embedded_module

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("MELMASTOON_VAR_DIR", BASE_DIR / "var"))
RUN_DIR = VAR_DIR / "run"
REDIS_URL_FILE = RUN_DIR / "redis.url"
DATABASE_URLS_FILE = RUN_DIR / "database.urls"  # the application URL, then the owner URL
MISSING_URL_HINT = (
    "{name} is not set. Every server, worker and job needs it (docs/configuration.md). On one machine, "
    "`make run` starts embedded servers and a manage.py command run beside it finds them; "
    "EMBEDDED_SERVERS=1 starts new ones for a single command."
)

_started: dict[str, object] = {}


def local_database_urls(
    pgdata: Path | None = None, *, grant_truncate: bool = False, cleanup_mode: str | None = "stop"
) -> tuple[str, str]:
    """(application URL, owner URL) of an embedded PostgreSQL, started if needed."""
    pg = embedded_module.start_postgres(pgdata or VAR_DIR / "pgdata", cleanup_mode=cleanup_mode)
    _started.setdefault("postgres", pg)
    result = bootstrap.bootstrap(pg.superuser_url, grant_truncate=grant_truncate)
    return result.app_url, result.owner_url


def write_run_file(path: Path, text: str) -> None:
    """A URL file of the run command, readable by its user alone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)


def _socket_alive(url: str) -> bool:
    """The embedded server listens on a unix socket named in the URL's `host=` parameter."""
    socket_dir = parse_qs(urlsplit(url).query).get("host", [""])[0]
    return bool(socket_dir) and Path(socket_dir, ".s.PGSQL.5432").exists()


def configured_database_urls(*, embedded: bool) -> tuple[str, str]:
    """(application URL, owner URL) for a process without DATABASE_URL: the run command's running
    server, else a new embedded one if `embedded`, else ImproperlyConfigured."""
    if DATABASE_URLS_FILE.exists():
        app_url, _, owner_url = DATABASE_URLS_FILE.read_text().strip().partition("\n")
        if app_url and _socket_alive(app_url):
            return app_url, owner_url or app_url
    if embedded:
        return local_database_urls()
    raise ImproperlyConfigured(MISSING_URL_HINT.format(name="DATABASE_URL"))


def configured_redis_url(*, embedded: bool) -> str:
    """The run command's Redis if it answers, else a new embedded one if `embedded`, else ImproperlyConfigured."""
    if REDIS_URL_FILE.exists():
        url = REDIS_URL_FILE.read_text().strip()
        if url and _redis_answers(url):
            return url
    if embedded:
        server = embedded_module.start_redis()
        _started.setdefault("redis", server)
        return server.url
    raise ImproperlyConfigured(MISSING_URL_HINT.format(name="REDIS_URL"))


def local_secret_key() -> str:
    """A random SECRET_KEY for this machine's embedded setup, created once under var/ (0600)."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except (redis.RedisError, OSError):
        return False
