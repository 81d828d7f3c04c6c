"""Catalog reads, cached in Redis (2 minutes, invalidated on every change)."""

from __future__ import annotations

from dataclasses import dataclass, field

from capabilities.hitl_rules import HitlRule, parse_hitl_rule
from capabilities.models import Capability
from melmastoon_ai.registry_cache import RegistryCache

CATALOG_CACHE = RegistryCache("catalog")


@dataclass(frozen=True)
class CapabilitySpec:
    id: str
    version: str
    description: str
    prompt_key: str | None
    default_model: str
    offline_model: str | None
    fallback_chain: tuple[str, ...]
    auxiliary_models: tuple[str, ...]
    hitl_rule: str
    latency_target_ms: int
    cost_class: str
    cache_ttl_seconds: int
    allowed_providers: tuple[str, ...]
    input_schema: dict
    output_schema: dict
    examples: list
    output_type: str
    eval_suite_key: str
    max_output_tokens: int
    uses_rag: bool
    phase: int
    enabled: bool
    stream_field: str = ""
    chat_mapping: dict = field(default_factory=dict)
    explanation_chain: tuple[str, ...] = ()  # the second stage's models (capabilities/stages.py)
    hitl: HitlRule = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hitl", parse_hitl_rule(self.hitl_rule))

    @property
    def chain(self) -> tuple[str, ...]:
        return (self.default_model, *self.fallback_chain)

    @property
    def every_model(self) -> tuple[str, ...]:
        """Both stages' models: what a call may be charged for."""
        return (*self.chain, *self.explanation_chain)

    @property
    def streams(self) -> bool:
        return bool(self.stream_field)

    @property
    def chat_compatible(self) -> bool:
        return bool(self.chat_mapping)


def _to_dict(capability: Capability) -> dict:
    return {
        "id": capability.id,
        "version": capability.version,
        "description": capability.description,
        "prompt_key": capability.prompt.key if capability.prompt_id else None,
        "default_model": capability.default_model.name,
        "offline_model": capability.offline_model.name if capability.offline_model_id else None,
        "fallback_chain": list(capability.fallback_chain),
        "auxiliary_models": list(capability.auxiliary_models),
        "hitl_rule": capability.hitl_rule,
        "latency_target_ms": capability.latency_target_ms,
        "cost_class": capability.cost_class,
        "cache_ttl_seconds": capability.cache_ttl_seconds,
        "allowed_providers": list(capability.allowed_providers),
        "input_schema": capability.input_schema,
        "output_schema": capability.output_schema,
        "examples": capability.examples,
        "output_type": capability.output_type,
        "eval_suite_key": capability.eval_suite_key,
        "max_output_tokens": capability.max_output_tokens,
        "uses_rag": capability.uses_rag,
        "phase": capability.phase,
        "enabled": capability.enabled,
        "stream_field": capability.stream_field,
        "chat_mapping": capability.chat_mapping,
        "explanation_chain": list(capability.explanation_chain),
    }


def _spec(data: dict) -> CapabilitySpec:
    tuples = ("fallback_chain", "auxiliary_models", "allowed_providers", "explanation_chain")
    return CapabilitySpec(**{key: tuple(value) if key in tuples else value for key, value in data.items()})


def _load_all() -> list[dict]:
    query = Capability.objects.select_related("prompt", "default_model", "offline_model")
    return [_to_dict(capability) for capability in query]


def _index(rows: list[dict]) -> dict[str, CapabilitySpec]:
    return {row["id"]: _spec(row) for row in rows}


def _catalog() -> dict[str, CapabilitySpec]:
    return CATALOG_CACHE.get_or_load("all", _load_all, _index)


def capability_list(*, include_disabled: bool = False) -> list[CapabilitySpec]:
    return [spec for spec in _catalog().values() if include_disabled or spec.enabled]


def capability_get(*, capability_id: str) -> CapabilitySpec | None:
    """An enabled capability, or None (unknown and disabled look the same to callers)."""
    spec = _catalog().get(capability_id)
    return spec if spec is not None and spec.enabled else None
