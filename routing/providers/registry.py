"""Provider kind -> adapter class, loaded lazily: a registry (settings.PROVIDER_ADAPTERS), not an if-chain.

A kind missing here, or whose adapter says it is not configured (no credentials in the
environment), is skipped by the router as `not_configured`.

An adapter takes its configuration through its constructor; `adapter_for` builds it once per
process with the class's `from_settings()` (reading Django settings), or with no arguments when
it needs none. A test that changes those settings calls `adapter_for.cache_clear()` around it.
"""

from __future__ import annotations

import functools
import importlib
import logging

from django.conf import settings
from django.db import DatabaseError

from routing.providers.base import ProviderAdapter

logger = logging.getLogger(__name__)


def adapters() -> dict[str, str]:
    """Provider kind -> dotted path of its adapter class, from settings.PROVIDER_ADAPTERS."""
    return settings.PROVIDER_ADAPTERS


def _adapter_class(dotted: str) -> type:
    module_name, _, class_name = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), class_name)


@functools.cache
def adapter_for(kind: str) -> ProviderAdapter | None:
    dotted = adapters().get(kind)
    if dotted is None:
        return None
    adapter_class = _adapter_class(dotted)
    return getattr(adapter_class, "from_settings", adapter_class)()


# onnxruntime is not fork-safe: a process forked after importing it hangs on exit. The edge adapter
# is imported in each worker after the fork, never in a pre-forking master.
NOT_FORK_SAFE = frozenset({"edge"})


def import_adapters() -> None:
    """Import every fork-safe adapter's module (and so its SDK: `import anthropic` alone takes about
    a second) without building anything: what a pre-forking server's master does once."""
    for kind, dotted in adapters().items():
        if kind not in NOT_FORK_SAFE:
            _adapter_class(dotted)


def build_adapters() -> list[str]:
    """Build every adapter now (a server process at start), so no request waits for an import or a
    client's construction; the kinds that are configured. An adapter whose configuration lives in
    the database (edge, self-hosted) is asked again by each request, so a database that is down at
    start only leaves it out of this list (asked once: the first failure stands for the rest)."""
    built = {kind: adapter_for(kind) for kind in adapters()}
    configured, database_down = [], False
    for kind, adapter in built.items():
        if adapter is None or database_down:
            continue
        try:
            if adapter.is_configured():
                configured.append(kind)
        except DatabaseError:
            database_down = True
            logger.warning("provider configuration unreadable at start: the database is down", extra={"provider": kind})
    return configured
