"""Provider kind -> adapter class, loaded lazily: a registry, not an if-chain.

A kind missing here, or whose adapter says it is not configured (no credentials in the
environment), is skipped by the router as `not_configured`.
"""

from __future__ import annotations

import functools
import importlib

from routing.providers.base import ProviderAdapter

ADAPTERS: dict[str, str] = {
    "deterministic": "routing.providers.deterministic.DeterministicAdapter",
}


@functools.cache
def adapter_for(kind: str) -> ProviderAdapter | None:
    dotted = ADAPTERS.get(kind)
    if dotted is None:
        return None
    module_name, _, class_name = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), class_name)()
