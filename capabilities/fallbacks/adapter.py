"""The deterministic provider: each capability's rule-based fallback, always last, never failing.

It lives with the fallbacks it runs; routing knows it only by the `deterministic` entry of
`settings.PROVIDER_ADAPTERS`, so routing never imports capabilities.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from capabilities.fallbacks import FallbackContext, run_fallback
from routing.providers.base import ProviderRequest, ProviderResponse
from routing.providers.deterministic import embeddings


class DeterministicAdapter:
    kind = "deterministic"

    def is_configured(self, model: str | None = None) -> bool:
        return True

    def complete(self, request: ProviderRequest) -> ProviderResponse:
        ctx = FallbackContext(
            locale=request.context.locale,
            tenant_country=request.context.tenant_country or None,
            faq_entries=request.context.faq_entries,
            today=_today(request.context.as_of),
        )
        return ProviderResponse(output=run_fallback(request.capability_id, request.payload, ctx))

    def embed(self, texts: list[str], **_: object) -> list[list[float]]:
        """The hashed character-n-gram embedder: lexical similarity only, the degraded last resort."""
        return embeddings.embed_texts(texts)


def _today(as_of: str) -> dt.date:
    """The request's date: a replay pins the original's (`RequestContext.as_of`), so the rules
    that depend on the day (lead time, weekday) answer as they did."""
    return dt.date.fromisoformat(as_of) if as_of else timezone.now().date()
