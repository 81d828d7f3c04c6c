"""Writes of the model registry: self-hosted deployments per environment (seed 003)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction

from melmastoon_ai.errors import ApplicationError, NotFound
from melmastoon_ai.outbound import check_destination
from routing.models import Model, ModelDeployment, Provider

Status = ModelDeployment.Status


def _deployment(model_name: str, environment: str) -> ModelDeployment:
    deployment = ModelDeployment.objects.select_related("model").filter(
        model__name=model_name, environment=environment
    ).first()
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
def deployment_register(*, model_name: str, endpoint_url: str, environment: str,
                        provider_kind: str = Provider.Kind.SELF_HOSTED, create_model: bool = True,
                        context_window: int = 0) -> ModelDeployment:
    if environment not in ModelDeployment.Environment.values:
        raise ApplicationError(f"environment must be one of {ModelDeployment.Environment.values}")
    check_endpoint_url(endpoint_url)
    model = Model.objects.filter(name=model_name).first()
    if model is None:
        if not create_model:
            raise NotFound(f"no model {model_name} in the catalog")
        provider = Provider.objects.filter(kind=provider_kind).first()
        if provider is None:
            raise ApplicationError(f"no provider {provider_kind}; run seed_catalog first")
        model = Model.objects.create(name=model_name, provider=provider, modality=Model.Modality.TEXT,
                                     context_window=context_window, cost_class="free",
                                     latency_class=Model.LatencyClass.INTERACTIVE)
    try:
        with transaction.atomic():
            return ModelDeployment.objects.create(model=model, endpoint_url=endpoint_url, environment=environment)
    except IntegrityError as exc:
        raise ApplicationError(f"{model_name} is already registered in {environment}", code="conflict",
                               status=409) from exc


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


def routing_decision_record(*, tenant_id, inference_id, capability_id: str, chain: tuple[str, ...], result) -> None:
    """Append how this request was routed; runs in the transaction of its inference record."""
    from routing.models import RoutingDecision

    RoutingDecision.objects.create(
        tenant_id=tenant_id, inference_id=inference_id, capability=capability_id, chain=list(chain),
        attempts=[attempt.as_dict() for attempt in result.attempts], provider=result.provider,
        model=result.model, decision_ms=round(result.decision_ms, 3),
    )
