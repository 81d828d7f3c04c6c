"""Which prompt version serves a tenant: the active one, or the canary for the tenant's bucket.

`prompt_version_for` is the one function the pipeline uses to pin a version. Buckets come from
a stable hash of (tenant, prompt), so a tenant stays in its bucket across calls and processes.
A retired (or deprecated) version is never served.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from melmastoon_ai.registry_cache import RegistryCache
from prompts.models import PromptVersion

PROMPT_CACHE = RegistryCache("prompts")


@dataclass(frozen=True)
class PromptVersionSpec:
    id: int
    prompt_key: str
    version: str
    status: str
    system_template: str
    user_template: str
    variables: tuple[str, ...]
    model_parameters: dict
    canary_percent: int | None

    @property
    def is_canary(self) -> bool:
        return self.canary_percent is not None


def tenant_bucket(tenant_id: uuid.UUID | str, prompt_key: str) -> int:
    """0-99, stable for a (tenant, prompt) pair everywhere, however the tenant id is spelled."""
    tenant = uuid.UUID(str(tenant_id))  # a JWT claim may carry an upper-case id: same tenant, same bucket
    digest = hashlib.sha256(f"{tenant}:{prompt_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


def _fields(row: PromptVersion) -> dict:
    """A version as the registry cache stores it (JSON)."""
    return {
        "id": row.id,
        "prompt_key": row.prompt.key,
        "version": row.version,
        "status": row.status,
        "system_template": row.system_template,
        "user_template": row.user_template,
        "variables": list(row.variables),
        "model_parameters": row.model_parameters,
        "canary_percent": row.canary_percent,
    }


def _spec(fields: dict) -> PromptVersionSpec:
    return PromptVersionSpec(**(fields | {"variables": tuple(fields["variables"])}))


def prompt_version_spec(row: PromptVersion) -> PromptVersionSpec:
    """One given version as the pipeline takes it, pinned rather than served as a canary (evals)."""
    return _spec(_fields(row) | {"canary_percent": None})


def active_version(*, prompt_key: str) -> PromptVersion | None:
    return (
        PromptVersion.objects.select_related("prompt")
        .filter(prompt__key=prompt_key, status=PromptVersion.Status.ACTIVE)
        .first()
    )


def _load_servable() -> dict[str, dict]:
    servable: dict[str, dict] = {}
    rows = PromptVersion.objects.select_related("prompt").filter(
        status__in=[PromptVersion.Status.ACTIVE, PromptVersion.Status.DRAFT]
    )
    for row in rows:
        if row.status == PromptVersion.Status.DRAFT and row.canary_percent is None:
            continue
        slot = "active" if row.status == PromptVersion.Status.ACTIVE else "canary"
        servable.setdefault(row.prompt.key, {})[slot] = _fields(row)
    return servable


def _index(data: dict[str, dict]) -> dict[str, dict[str, PromptVersionSpec]]:
    return {key: {slot: _spec(fields) for slot, fields in slots.items()} for key, slots in data.items()}


def prompt_version_for(*, tenant_id: uuid.UUID | str, prompt_key: str) -> PromptVersionSpec | None:
    slots = PROMPT_CACHE.get_or_load("servable", _load_servable, _index).get(prompt_key, {})
    canary = slots.get("canary")
    if canary is not None and tenant_bucket(tenant_id, prompt_key) < canary.canary_percent:
        return canary
    return slots.get("active")
