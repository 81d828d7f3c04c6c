"""Model catalog and deployment registry reads, cached in Redis for 2 minutes (seed 003)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from melmastoon_ai.registry_cache import RegistryCache
from routing.models import EmbeddingChain, Model, ModelDeployment

REGISTRY_CACHE = RegistryCache("routing")


@dataclass(frozen=True)
class ModelSpec:
    name: str
    provider: str
    provider_enabled: bool
    enabled: bool
    modality: str
    context_window: int
    cost_class: str
    price_unit: str
    input_price_per_million: Decimal
    output_price_per_million: Decimal
    regions: tuple[str, ...]


@dataclass(frozen=True)
class DeploymentSpec:
    model: str
    endpoint_url: str
    environment: str
    status: str
    health: str = ""  # the last probe's verdict: "", "healthy" or "unhealthy:<kind>"


def _load_models() -> list[dict]:
    return [
        {
            "name": m.name,
            "provider": m.provider.kind,
            "provider_enabled": m.provider.enabled,
            "enabled": m.enabled,
            "modality": m.modality,
            "context_window": m.context_window,
            "cost_class": m.cost_class,
            "price_unit": m.price_unit,
            "input_price_per_million": str(m.input_price_per_million),
            "output_price_per_million": str(m.output_price_per_million),
            "regions": list(m.regions),
        }
        for m in Model.objects.select_related("provider")
    ]


def _index_models(rows: list[dict]) -> dict[str, ModelSpec]:
    return {
        row["name"]: ModelSpec(
            **(
                row
                | {
                    "input_price_per_million": Decimal(row["input_price_per_million"]),
                    "output_price_per_million": Decimal(row["output_price_per_million"]),
                    "regions": tuple(row["regions"]),
                }
            )
        )
        for row in rows
    }


def model_catalog() -> dict[str, ModelSpec]:
    return REGISTRY_CACHE.get_or_load("models", _load_models, _index_models)


def model_get(*, name: str) -> ModelSpec | None:
    return model_catalog().get(name)


def _load_deployments() -> list[dict]:
    return [
        {
            "model": d.model.name,
            "endpoint_url": d.endpoint_url,
            "environment": d.environment,
            "status": d.status,
            "health": d.last_health_status,
        }
        for d in ModelDeployment.objects.select_related("model")
    ]


def deployment_for(*, model_name: str, environment: str) -> DeploymentSpec | None:
    """The ready deployment of a model in an environment, or None."""
    rows = REGISTRY_CACHE.get_or_load("deployments", _load_deployments)
    for row in rows:
        if row["model"] == model_name and row["environment"] == environment and row["status"] == "ready":
            return DeploymentSpec(**row)
    return None


def _load_embedding_chains() -> dict[str, list[str]]:
    return {row.use: list(row.chain) for row in EmbeddingChain.objects.all()}


def embedding_chain(*, use: str) -> tuple[str, ...]:
    """The embedding models that answer `use`, first tried first (routing.models.EmbeddingChain);
    empty when the catalog has not been seeded."""
    return tuple(REGISTRY_CACHE.get_or_load("embedding_chains", _load_embedding_chains).get(use, ()))
