"""The decision trail of an inference (seed 002): everything needed to reproduce it, stored with
its record (`InferenceRecord.trail`) and, for a routed answer, on its append-only routing decision.

A trail names versions and content hashes, never content: the prompt by id, version and the hash
of its rendering, the catalog entry and the chain's registry rows by the hash of what the pipeline
read (their "generations"), retrieved passages by id and hash. `capabilities/replay.py` re-runs an
inference from it and reports what differs.
"""

from __future__ import annotations

import dataclasses

import guardrails
from capabilities.hashing import sha256_of
from capabilities.selectors import CapabilitySpec
from prompts.rendering import RenderedPrompt
from prompts.selectors import PromptVersionSpec
from routing.providers.base import FaqEntry, RequestContext
from routing.router import RoutePlan, RouteResult
from routing.selectors import model_get

TRAIL_VERSION = 1
# providers whose API takes a sampling seed (routing/providers/*/mapping.py send it)
SEEDED_PROVIDERS = frozenset({"openai", "self_hosted", "vertex"})


def catalog_generation(capability: CapabilitySpec) -> str:
    """The hash of the catalog entry as the pipeline read it: any edit of the row changes it.
    Worked out once per entry read (the cached spec is immutable), not per request."""
    known = capability.__dict__.get("_catalog_generation")
    if known is None:
        known = sha256_of({f.name: getattr(capability, f.name) for f in dataclasses.fields(capability) if f.init})
        object.__setattr__(capability, "_catalog_generation", known)
    return known


def registry_generation(chain: tuple[str, ...]) -> str:
    """The hash of the chain's model rows (provider, enabled, prices, regions) as the router read them."""
    rows = {}
    for name in chain:
        model = model_get(name=name)
        rows[name] = dataclasses.asdict(model) if model is not None else None
    return sha256_of(rows)


def rendered_hash(rendered: RenderedPrompt | None) -> str:
    return sha256_of({"system": rendered.system, "user": rendered.user}) if rendered else ""


def passage_hash(entry: FaqEntry) -> str:
    """16 hex digits of the passage's sha256: a tenant's whole FAQ may be retrieved (2,000 entries)."""
    return sha256_of({"question": entry.question, "answer": entry.answer, "locale": entry.locale})[7:23]


def retrieval(entries: tuple[FaqEntry, ...]) -> list[dict]:
    """The passages the prompt and the models were given, in order, by id and content hash."""
    return [{"id": entry.id, "hash": passage_hash(entry)} for entry in entries]


def evaluated_chain(chain: tuple[str, ...], result: RouteResult) -> list[dict]:
    """Each candidate of the chain with what happened to it: its outcome (`ok`, or why it was
    skipped or failed: `not_configured`, `residency`, `budget`, `circuit_open`, `timeout`, `error`,
    `schema_invalid`, `blocked`), or `not_reached` after the one that answered."""
    attempts = [attempt.as_dict() for attempt in result.attempts]
    tried = {attempt["model"] for attempt in attempts}
    return [*attempts, *({"model": name, "outcome": "not_reached"} for name in chain if name not in tried)]


def parameters(plan: RoutePlan, provider: str) -> dict:
    return {
        "temperature": plan.temperature,
        "max_output_tokens": plan.max_output_tokens,
        "seed": plan.seed,
        "seed_sent": plan.seed is not None and provider in SEEDED_PROVIDERS,
    }


def request_conditions(context: RequestContext) -> dict:
    """What of the request context the answer depends on besides the input (the deterministic
    fallbacks read the locale, the country and the day)."""
    return {
        "locale": context.locale,
        "tenant_country": context.tenant_country,
        "tenant_region": context.tenant_region,
        "offline": context.offline,
        "eu_only": context.eu_only,
        "as_of": context.as_of,
    }


def decision_trail(
    *,
    request_id: str,
    trace_id: str,
    capability: CapabilitySpec,
    prompt: PromptVersionSpec | None,
    rendered: RenderedPrompt | None,
    plan: RoutePlan | None,
    result: RouteResult,
    cached_from: str = "",
    replay_of: str = "",
    registry_chain: tuple[str, ...] | None = None,
) -> dict:
    """The trail of one answer. A cache hit (`plan` None) names the inference it repeats, whose
    trail is the one that routed it. `registry_chain` (a replay, which walks one model): the chain
    whose registry rows the generation covers, the original's, so that the two compare."""
    trail = {
        "version": TRAIL_VERSION,
        "request_id": request_id,
        "trace_id": trace_id,
        "capability": {
            "id": capability.id,
            "version": capability.version,
            "catalog_generation": catalog_generation(capability),
        },
        "prompt": (
            {
                "id": prompt.prompt_key,
                "version": prompt.version,
                "version_id": prompt.id,
                "canary": prompt.is_canary,
                "rendered_hash": rendered_hash(rendered),
            }
            if prompt
            else None
        ),
        "chosen": {"provider": result.provider, "model": result.model, "model_version": result.model_version},
        "guardrails": guardrails.versions(),
        "cached_from": cached_from,
        "replay_of": replay_of,
    }
    if plan is not None:
        chain = evaluated_chain(plan.chain, result)
        # Over the models the trail names (a pre-step's, such as Document AI, included): what a
        # replay reads back from `chain` and hashes again.
        named = tuple(dict.fromkeys(candidate["model"] for candidate in chain))
        trail |= {
            "registry_generation": registry_generation(registry_chain or named),
            "chain": chain,
            "parameters": parameters(plan, result.provider),
            "retrieval": retrieval(plan.context.faq_entries),
            "conditions": request_conditions(plan.context),
        }
    return trail
