"""Data residency decided by the endpoint a call actually goes to, not by a provider's name.

Each adapter says where a call with a given context would be processed
(`processing_regions(context)`): Vertex and Claude on the Vertex partner endpoint process in the
region they are called in (the tenant's), the direct Anthropic and OpenAI APIs in the US. An
EU-only tenant's data may go only where every such region is in the EU. Edge, self-hosted and
the deterministic fallback run on our own infrastructure.
"""

from __future__ import annotations

from collections.abc import Iterable

from routing.providers.base import RequestContext

# data stays on our infrastructure
IN_HOUSE_PROVIDERS = frozenset({"edge", "deterministic", "self_hosted", "in_process"})


def is_eu_region(region: str) -> bool:
    return region == "eu" or region.startswith("europe-")


def processing_regions(adapter: object, context: RequestContext, *, fallback: Iterable[str] = ()) -> tuple[str, ...]:
    """Where `adapter` would process this call; `fallback` (the catalog's regions) when it cannot say."""
    regions_of = getattr(adapter, "processing_regions", None)
    return tuple(regions_of(context)) if regions_of is not None else tuple(fallback)


def eu_resident(*, provider: str, adapter: object, context: RequestContext, fallback: Iterable[str] = ()) -> bool:
    """Would this call keep the data in the EU? Unknown regions count as not."""
    if provider in IN_HOUSE_PROVIDERS:
        return True
    regions = processing_regions(adapter, context, fallback=fallback)
    return bool(regions) and all(is_eu_region(region) for region in regions)
