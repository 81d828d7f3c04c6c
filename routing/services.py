"""Writes of the model registry: self-hosted deployments per environment (seed 003)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from melmastoon_ai.errors import ApplicationError, NotFound
from melmastoon_ai.outbound import check_destination
from routing.catalog_seed import EMBEDDING_CHAINS, MODELS, PROVIDERS
from routing.models import EmbeddingChain, Model, ModelDeployment, Provider
from routing.selectors import REGISTRY_CACHE

Status = ModelDeployment.Status


def _deployment(model_name: str, environment: str) -> ModelDeployment:
    deployment = (
        ModelDeployment.objects.select_related("model").filter(model__name=model_name, environment=environment).first()
    )
    if deployment is None:
        raise NotFound(f"no deployment of {model_name} in {environment}")
    return deployment


def check_endpoint_url(endpoint_url: str) -> None:
    """An http(s) URL whose host is public or allowed by MODEL_ENDPOINT_ALLOWED_HOSTS (no SSRF)."""
    try:
        URLValidator(schemes=["http", "https"])(endpoint_url)
    except ValidationError as exc:
        raise ApplicationError(f"{endpoint_url!r} is not an http(s) URL") from exc
    check_destination(endpoint_url, allowed=settings.MODEL_ENDPOINT_ALLOWED_HOSTS)


@transaction.atomic
def deployment_register(
    *,
    model_name: str,
    endpoint_url: str,
    environment: str,
    provider_kind: str = Provider.Kind.SELF_HOSTED,
    create_model: bool = False,
    context_window: int = 0,
) -> ModelDeployment:
    if environment not in ModelDeployment.Environment.values:
        raise ApplicationError(f"environment must be one of {ModelDeployment.Environment.values}")
    check_endpoint_url(endpoint_url)
    model = Model.objects.filter(name=model_name).first()
    if model is None:
        if not create_model:  # a misspelt name must not quietly become a new catalog model
            raise NotFound(
                f"no model {model_name} in the catalog; check the name, or pass --create to add it "
                "as a new self-hosted model"
            )
        provider = Provider.objects.filter(kind=provider_kind).first()
        if provider is None:
            raise ApplicationError(f"no provider {provider_kind}; run seed_catalog first")
        model = Model.objects.create(
            name=model_name,
            provider=provider,
            modality=Model.Modality.TEXT,
            context_window=context_window,
            cost_class="free",
            latency_class=Model.LatencyClass.INTERACTIVE,
        )
    try:
        with transaction.atomic():
            return ModelDeployment.objects.create(model=model, endpoint_url=endpoint_url, environment=environment)
    except IntegrityError as exc:
        raise ApplicationError(
            f"{model_name} is already registered in {environment}", code="conflict", status=409
        ) from exc


@transaction.atomic
def deployment_deregister(*, model_name: str, environment: str) -> None:
    _deployment(model_name, environment).delete()


@transaction.atomic
def deployment_set_status(*, model_name: str, environment: str, status: str) -> ModelDeployment:
    if status not in Status.values:
        raise ApplicationError(f"status must be one of {Status.values}")
    deployment = _deployment(model_name, environment)
    deployment.status = status
    deployment.save(update_fields=["status"])
    return deployment


def deployment_health_record(*, deployment_id: int, endpoint_url: str, health: str) -> bool:
    """Store a probe's verdict, unless the endpoint changed while it ran; True when the health flipped.

    A conditional UPDATE, no history row (a probe is not an edit); the router's cached view of the
    registry is refreshed only when a deployment turns healthy or unhealthy.
    """
    current = (
        ModelDeployment.objects.filter(pk=deployment_id, endpoint_url=endpoint_url)
        .values_list("last_health_status", flat=True)
        .first()
    )
    if current is None:
        return False
    ModelDeployment.objects.filter(pk=deployment_id, endpoint_url=endpoint_url).update(
        last_health_status=health[:32], last_health_check_at=timezone.now()
    )
    flipped = current.partition(":")[0] != health.partition(":")[0]
    if flipped:
        transaction.on_commit(REGISTRY_CACHE.invalidate)
    return flipped


def deployments_probe(*, timeout: float = 5.0) -> dict[str, str]:
    """Probe every ready deployment (seed 003: registry health), one at a time, outside any
    transaction: a slow endpoint holds no connection or lock while it is waited on."""
    from routing.providers.registry import adapter_for

    adapter = adapter_for(Provider.Kind.SELF_HOSTED)
    targets = list(
        ModelDeployment.objects.filter(status=Status.READY)
        .select_related("model")
        .values_list("id", "endpoint_url", "model__name", "environment")
    )
    verdicts = {}
    for deployment_id, endpoint_url, model_name, environment in targets:
        health = adapter.probe(endpoint_url, timeout=timeout)
        deployment_health_record(deployment_id=deployment_id, endpoint_url=endpoint_url, health=health)
        verdicts[f"{model_name}@{environment}"] = health
    return verdicts


def routing_decision_row(
    *, tenant_id, inference_id, capability_id: str, chain: tuple[str, ...], result, trail: dict | None = None
):
    """How this request was routed, as a row the caller inserts in the transaction of its inference
    record (append-only). `trail`: the inference's decision trail (capabilities/trail.py), whose
    versions, generations and parameters the row carries."""
    from routing.models import RoutingDecision

    trail = trail or {}
    prompt, capability = trail.get("prompt") or {}, trail.get("capability") or {}
    return RoutingDecision(
        tenant_id=tenant_id,
        inference_id=inference_id,
        capability=capability_id,
        chain=list(chain),
        attempts=[attempt.as_dict() for attempt in result.attempts],
        provider=result.provider,
        model=result.model,
        decision_ms=round(result.decision_ms, 3),
        model_version=result.model_version[:200],
        request_id=str(trail.get("request_id", ""))[:128],
        trace_id=str(trail.get("trace_id", ""))[:32],
        capability_version=capability.get("version", ""),
        catalog_generation=capability.get("catalog_generation", ""),
        prompt_key=prompt.get("id", ""),
        prompt_version=prompt.get("version", ""),
        rendered_prompt_hash=prompt.get("rendered_hash", ""),
        registry_generation=trail.get("registry_generation", ""),
        parameters=trail.get("parameters") or {},
        retrieval_ids=[passage["id"][:64] for passage in trail.get("retrieval") or []],
        guardrail_versions=trail.get("guardrails") or {},
        replay_of=trail.get("replay_of") or None,
    )


@transaction.atomic
def routing_seed() -> dict[str, int]:
    """The model registry's own seed (routing/catalog_seed.py): providers, then their models."""
    for row in PROVIDERS:
        Provider.objects.update_or_create(kind=row["kind"], defaults=row)
    providers = {provider.kind: provider for provider in Provider.objects.all()}
    for row in MODELS:
        defaults = {key: value for key, value in row.items() if key not in ("name", "provider")}
        Model.objects.update_or_create(name=row["name"], defaults=defaults | {"provider": providers[row["provider"]]})
    for use, chain in EMBEDDING_CHAINS.items():
        EmbeddingChain.objects.get_or_create(use=use, defaults={"chain": chain})
    return {"providers": len(providers), "models": len(MODELS)}
