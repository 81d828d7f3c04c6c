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
    from routing.providers.registry import import_adapters

    started = time.perf_counter()
    import_adapters()
    logger.info("provider adapters imported", extra={"ms": round((time.perf_counter() - started) * 1000)})


def warm_up_worker() -> None:
    from django.db import connections

    from routing.providers.registry import build_adapters

    started = time.perf_counter()
    configured = build_adapters()
    connections.close_all()  # the registry reads took a pooled connection on this thread: give it back
    logger.info("worker ready", extra={"configured_providers": configured,
                                       "ms": round((time.perf_counter() - started) * 1000)})
