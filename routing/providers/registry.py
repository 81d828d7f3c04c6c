"""Provider kind -> adapter class, loaded lazily: a registry, not an if-chain.

A kind missing here, or whose adapter says it is not configured (no credentials in the
environment), is skipped by the router as `not_configured`.

An adapter takes its configuration through its constructor; `adapter_for` builds it once per
process with the class's `from_settings()` (reading Django settings), or with no arguments when
it needs none. A test that changes those settings calls `adapter_for.cache_clear()` around it.
"""

from __future__ import annotations

import functools
import importlib

from routing.providers.base import ProviderAdapter

ADAPTERS: dict[str, str] = {
    "deterministic": "routing.providers.deterministic.DeterministicAdapter",
    "vertex": "routing.providers.vertex.VertexAdapter",
    "anthropic": "routing.providers.anthropic.AnthropicAdapter",
    "openai": "routing.providers.openai.OpenAIAdapter",
    "self_hosted": "routing.providers.self_hosted.SelfHostedAdapter",
    "edge": "routing.providers.edge.EdgeAdapter",
}


@functools.cache
def adapter_for(kind: str) -> ProviderAdapter | None:
    dotted = ADAPTERS.get(kind)
    if dotted is None:
        return None
    module_name, _, class_name = dotted.rpartition(".")
    adapter_class = getattr(importlib.import_module(module_name), class_name)
    return getattr(adapter_class, "from_settings", adapter_class)()
