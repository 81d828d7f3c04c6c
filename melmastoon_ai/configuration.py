"""What a process runs with, logged once at start without a secret, and the secrets it may re-read.

`effective_configuration()` is the operator's answer to "what is this instance talking to?": the
environment, the release, where the database, replica and Redis are (host, port, name, user: never a
password), which providers are configured, the outbox publisher, the manifest signer, how JWTs are
verified. Secrets appear only as whether they are set. The web master logs it once before forking
(melmastoon_ai/wsgi.py), a Celery worker and beat when they start (melmastoon_ai/celery.py).

`reread_secrets` re-reads the provider secrets (`NAME` or `NAME_FILE`) into the settings of this
process: every gunicorn worker does it when it starts (melmastoon_ai/serving.py), so a SIGHUP, which
replaces the workers, picks up rotated secret files (docs/operations.md, "Rotating provider secrets").
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings

from melmastoon_ai.env import env_secret
from melmastoon_ai.version import BUILD, VERSION

logger = logging.getLogger(__name__)


def _database(alias: str) -> dict | None:
    config = settings.DATABASES.get(alias)
    if config is None:
        return None
    options = config.get("OPTIONS", {})
    return {
        "host": config.get("HOST") or options.get("host") or "",
        "port": str(config.get("PORT") or ""),
        "name": config.get("NAME", ""),
        "user": config.get("USER", ""),
        "pool_max_size": (options.get("pool") or {}).get("max_size", 0),
    }


def _redis(url: str) -> dict:
    parts = urlsplit(url)
    return {
        "scheme": parts.scheme,
        "host": parts.hostname or "",
        "port": parts.port or "",
        "db": parts.path.lstrip("/") or "0",
        "password_set": bool(parts.password),
    }


def _endpoint(url: str | None) -> str | None:
    """An endpoint override without any credentials or query it might carry."""
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"


def _jwt_mode() -> str:
    if settings.JWT_JWKS_URL:
        return "jwks"
    return "public_key" if settings.JWT_PUBLIC_KEY else "off"


def effective_configuration() -> dict:
    return {
        "version": VERSION,
        "build": BUILD,
        "environment": settings.DEPLOYMENT_ENVIRONMENT,
        "debug": settings.DEBUG,
        "allowed_hosts": list(settings.ALLOWED_HOSTS),
        "database": _database("default"),
        "migration_database": _database("migrations"),
        "replica_database": _database("replica") if settings.REPLICA_DATABASE_ALIAS else None,
        "redis": _redis(settings.REDIS_URL),
        "providers": {
            "vertex": {
                "configured": bool(settings.VERTEX_PROJECT),
                "project": settings.VERTEX_PROJECT,
                "location": settings.VERTEX_LOCATION,
                "endpoint": _endpoint(settings.VERTEX_BASE_URL),
                "credentials": "static token" if settings.VERTEX_ACCESS_TOKEN else "application default",
                "claude_on_vertex": settings.VERTEX_ANTHROPIC,
            },
            "anthropic": {
                "configured": bool(settings.ANTHROPIC_API_KEY),
                "endpoint": _endpoint(settings.ANTHROPIC_BASE_URL),
            },
            "openai": {"configured": bool(settings.OPENAI_API_KEY), "endpoint": _endpoint(settings.OPENAI_BASE_URL)},
        },
        "outbox_publisher": settings.OUTBOX_PUBLISHER,
        "manifest_signer": settings.MANIFEST_SIGNER,  # a key version's resource name is not a secret
        "manifest_publisher_url": _endpoint(settings.MANIFEST_PUBLISHER_URL),
        "jwt": _jwt_mode(),
        "metrics_token_set": bool(settings.METRICS_TOKEN),
        "feature_flags_refresh_seconds": settings.FEATURE_FLAGS_REFRESH_SECONDS,
    }


def log_effective_configuration(process: str) -> None:
    logger.info("effective configuration", extra={"component": process, "configuration": effective_configuration()})


def reread_secrets(names: tuple[str, ...]) -> list[str]:
    """Read each named secret again from its variable or `NAME_FILE`; the names whose value changed."""
    changed = []
    for name in names:
        value = env_secret(name)
        if value != getattr(settings, name, None):
            setattr(settings, name, value)
            changed.append(name)
    return changed
