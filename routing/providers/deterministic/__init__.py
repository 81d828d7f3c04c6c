"""The deterministic provider: each capability's rule-based fallback, always last, never failing."""

from __future__ import annotations

from django.utils import timezone

from capabilities.fallbacks import FallbackContext, run_fallback
from routing.providers.base import ProviderRequest, ProviderResponse


class DeterministicAdapter:
    kind = "deterministic"

    def is_configured(self, model: str | None = None) -> bool:
        return True

    def complete(self, request: ProviderRequest) -> ProviderResponse:
        ctx = FallbackContext(locale=request.context.locale, tenant_country=request.context.tenant_country or None,
                              faq_entries=request.context.faq_entries, today=timezone.now().date())
        return ProviderResponse(output=run_fallback(request.capability_id, request.payload, ctx))
