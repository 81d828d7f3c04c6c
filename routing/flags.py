"""One feature flag per provider kind, `provider.<kind>`, on by default: switched off (globally or
for one tenant) the router skips that provider as not configured, and its moderation is not asked.
The deterministic fallback has none: it is the answer of last resort and can never be switched off."""

from __future__ import annotations

import uuid

from melmastoon_ai.flags.registry import register_flag
from melmastoon_ai.flags.selectors import flags_off
from routing.providers.registry import adapters

PREFIX = "provider."


def switchable() -> tuple[str, ...]:
    return tuple(kind for kind in adapters() if kind != "deterministic")


def register_provider_flags() -> None:
    for kind in switchable():
        register_flag(
            f"{PREFIX}{kind}", default=True, description=f"route to {kind} (off: the router skips it as not configured)"
        )


def providers_switched_off(*, tenant_id: uuid.UUID | str) -> frozenset[str]:
    """The provider kinds this tenant's requests must not reach."""
    off = flags_off(tenant_id=tenant_id, keys=tuple(f"{PREFIX}{kind}" for kind in switchable()))
    return frozenset(key.removeprefix(PREFIX) for key in off)
