"""The registry snapshot the desktop keeps for offline work (seed 001: sync engine to the desktop).

Platform data (the capability catalog, the manifest's version) is the same for everyone; the
prompt versions are the ones *this tenant* is served (its canary bucket included), and the
retrieval index (`rag`: corpora, chunks, MiniLM vectors, with the SHA-256 of their canonical
JSON) is the tenant's own, read under its row-level security and its tenant predicate.
"""

from __future__ import annotations

import uuid

from django.utils import timezone

from capabilities.selectors import capability_list
from manifests.selectors import manifest_published
from prompts.selectors import prompt_version_for
from rag.selectors import faq_entries_for, rag_snapshot


def registry_snapshot(*, tenant_id: uuid.UUID) -> dict:
    capabilities = capability_list()
    prompts = {}
    for capability in capabilities:
        if capability.prompt_key and capability.prompt_key not in prompts:
            version = prompt_version_for(tenant_id=tenant_id, prompt_key=capability.prompt_key)
            if version is not None:
                prompts[capability.prompt_key] = {
                    "prompt": version.prompt_key,
                    "version": version.version,
                    "slot": "canary" if version.is_canary else "active",
                    "system_template": version.system_template,
                    "user_template": version.user_template,
                    "variables": list(version.variables),
                    "model_parameters": version.model_parameters,
                }
    manifest = manifest_published()
    return {
        "tenant_id": str(tenant_id),
        "generated_at": timezone.now().isoformat(),
        "manifest": {"version": manifest.version, "key_version": manifest.key_version.name} if manifest else None,
        "capabilities": [
            {
                "id": capability.id,
                "version": capability.version,
                "description": capability.description,
                "prompt": capability.prompt_key,
                "default_model": capability.default_model,
                "offline_model": capability.offline_model,
                "fallback_chain": list(capability.fallback_chain),
                "hitl_rule": capability.hitl_rule,
                "latency_target_ms": capability.latency_target_ms,
                "cost_class": capability.cost_class,
                "input_schema": capability.input_schema,
                "output_schema": capability.output_schema,
                "uses_rag": capability.uses_rag,
            }
            for capability in capabilities
        ],
        "prompts": sorted(prompts.values(), key=lambda prompt: prompt["prompt"]),
        "faq": faq_entries_for(tenant_id=tenant_id),
        # the tenant's MiniLM corpora, chunks and vectors: the desktop searches them offline
        "rag": rag_snapshot(tenant_id=tenant_id),
    }
