"""Provider moderation endpoints as guardrail moderators, under the same rules as any outbound call.

A provider's moderation endpoint reads the tenant's text just as its models would, so it is asked
only where a model of that provider could be: the provider is enabled in the catalog, the
capability allows it, the endpoint called satisfies the tenant's residency (routing.residency:
OpenAI's API processes in the US, so never for EU-only tenants), it is configured, and its
circuit is closed. The guardrails hand it the redacted input
(`screen_input`), never the raw one. If it fails or is slow, the local verdict stands alone.

The guardrails know nothing of providers (they sit below routing): this module maps a provider's
answer onto their categories with `provider_scores` and gives them plain `Moderator`s.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from guardrails.moderation import ModerationVerdict, resolve_thresholds, verdict_from_scores
from guardrails.provider_scores import from_openai_categories
from routing.attempts import call_provider
from routing.models import Provider
from routing.providers.base import RequestContext
from routing.providers.registry import adapter_for
from routing.residency import eu_resident
from routing.selectors import REGISTRY_CACHE

logger = logging.getLogger(__name__)
MODERATION_TIMEOUT_SECONDS = 0.5  # the endpoint answers in well under this; it must not eat the request deadline


@dataclass(frozen=True)
class ProviderSpec:
    kind: str
    enabled: bool
    regions: tuple[str, ...]


def _load_providers() -> list[dict]:
    return [{"kind": p.kind, "enabled": p.enabled, "regions": list(p.data_regions)} for p in Provider.objects.all()]


def provider_get(*, kind: str) -> ProviderSpec | None:
    """The catalog's provider row (cached with the rest of the registry, invalidated on change)."""
    rows = REGISTRY_CACHE.get_or_load("providers", _load_providers)
    for row in rows:
        if row["kind"] == kind:
            return ProviderSpec(kind=row["kind"], enabled=row["enabled"], regions=tuple(row["regions"]))
    return None


def may_receive_text(
    kind: str, adapter, *, eu_only: bool, allowed_providers: tuple[str, ...] = (), context: RequestContext | None = None
) -> bool:
    """Whether `kind` may be sent this tenant's text for this capability: the same rules as a model
    call (routing.residency: the endpoint actually called decides, the catalog's regions only when
    the adapter cannot say)."""
    if allowed_providers and kind not in allowed_providers:
        return False
    provider = provider_get(kind=kind)
    if provider is None or not provider.enabled:
        return False
    if not eu_only:
        return True
    context = context or RequestContext(
        tenant_id="", tenant_region="", tenant_country="", locale="", feature="", offline=False, eu_only=True
    )
    return eu_resident(provider=kind, adapter=adapter, context=context, fallback=provider.regions)


class OpenAIModerator:
    name = "openai"

    def __init__(self, adapter, *, breakers=None, thresholds: Mapping[str, float] | None = None):
        self._adapter = adapter
        self._breakers = breakers
        self._thresholds = resolve_thresholds(thresholds)

    def moderate(self, text: str, *, locale: str) -> ModerationVerdict | None:
        called = call_provider(
            lambda: self._adapter.moderate(text, timeout=MODERATION_TIMEOUT_SECONDS),
            provider="openai",
            model=getattr(getattr(self._adapter, "config", None), "moderation_model", "moderation"),
            breakers=self._breakers,
            breaker="openai",
        )
        if called.value is None:
            if called.error is not None:
                logger.warning("provider moderation unavailable; local verdict only", extra={"kind": called.error.kind})
            return None
        return verdict_from_scores(
            from_openai_categories(called.value.scores), thresholds=self._thresholds, moderator=self.name
        )


def provider_moderators(
    *,
    eu_only: bool,
    allowed_providers: tuple[str, ...] = (),
    breakers=None,
    thresholds: Mapping[str, float] | None = None,
    context: RequestContext | None = None,
) -> list[OpenAIModerator]:
    """Provider moderators that may see this tenant's (redacted) text (a provider a feature flag
    switched off for the tenant, `context.disabled_providers`, is not asked either)."""
    if context is not None and "openai" in context.disabled_providers:
        return []
    adapter = adapter_for("openai")
    if adapter is None or not adapter.is_configured():
        return []
    if not may_receive_text("openai", adapter, eu_only=eu_only, allowed_providers=allowed_providers, context=context):
        return []
    return [OpenAIModerator(adapter, breakers=breakers, thresholds=thresholds)]
