"""Resolve database and Redis URLs for a machine with no `DATABASE_URL` / `REDIS_URL`.

The run command (`melmastoon_ai.devstack`) starts the embedded servers once and hands their
URLs to the server, the worker and beat through the environment. A management command run
by hand beside it finds the same servers: PostgreSQL through its data directory (pgserver
attaches to a running postmaster), Redis through the URL file the run command writes.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from melmastoon_ai.infra import bootstrap, embedded

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("MELMASTOON_VAR_DIR", BASE_DIR / "var"))
REDIS_URL_FILE = VAR_DIR / "run" / "redis.url"

_started: dict[str, object] = {}


def local_database_urls(
    pgdata: Path | None = None, *, grant_truncate: bool = False, cleanup_mode: str | None = "stop"
) -> tuple[str, str]:
    """(application URL, owner URL) of an embedded PostgreSQL, started if needed."""
    pg = embedded.start_postgres(pgdata or VAR_DIR / "pgdata", cleanup_mode=cleanup_mode)
    _started.setdefault("postgres", pg)
    result = bootstrap.bootstrap(pg.superuser_url, grant_truncate=grant_truncate)
    return result.app_url, result.owner_url


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


def local_redis_url() -> str:
    """The run command's embedded Redis if it is up, else a new embedded one for this process."""
    if REDIS_URL_FILE.exists():
        url = REDIS_URL_FILE.read_text().strip()
        if url and _redis_answers(url):
            return url
    server = embedded.start_redis()
    _started.setdefault("redis", server)
    return server.url
