"""What a server process does once at start, so that no request pays for it (seed 000: a warm
instance answers within its startup budget, and the first request is as fast as the next).

`prepare_master` runs in gunicorn's master while the application is imported (before the fork):
imports only, shared by every worker. `warm_up_worker` runs in each worker after the fork: it
builds every configured provider adapter (SDK clients, credentials), so the first fallback after a
restart is not spent importing an SDK, and /readyz is 200 only in a worker that has done this.
"""

from __future__ import annotations

import logging
import time

logger = logging.getLogger(__name__)


def prepare_master() -> None:
    from melmastoon_ai.configuration import log_effective_configuration
    from routing.providers.registry import import_adapters

    log_effective_configuration("web")
    started = time.perf_counter()
    import_adapters()
    logger.info("provider adapters imported", extra={"ms": round((time.perf_counter() - started) * 1000)})


def warm_up_worker() -> None:
    """Also re-reads the provider secrets: the master imported the settings once, before any SIGHUP,
    and a worker forked after one would otherwise start with the keys of the day the master started."""
    from django.conf import settings
    from django.db import connections

    from melmastoon_ai.configuration import reread_secrets
    from routing.providers.registry import adapter_for, build_adapters

    started = time.perf_counter()
    changed = reread_secrets(settings.RELOADABLE_SECRETS)
    if changed:
        adapter_for.cache_clear()
        logger.info("provider secrets re-read", extra={"changed": changed})
    configured = build_adapters()
    connections.close_all()  # the registry reads took a pooled connection on this thread: give it back
    logger.info(
        "worker ready", extra={"configured_providers": configured, "ms": round((time.perf_counter() - started) * 1000)}
    )
