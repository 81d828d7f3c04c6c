"""Batch demand forecasts: submit (validated whole, queued after commit), run (claimed with a
conditional UPDATE, item by item through the pipeline, each item with its own idempotency key so
a redelivered task repeats nothing), and read."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.utils import timezone

from capabilities.errors import InputSchemaViolation
from capabilities.models import ForecastBatch
from capabilities.pipeline import CompletionRequest, complete, load_capability
from melmastoon_ai.errors import ApplicationError, NotFound
from melmastoon_ai.schema_validation import schema_errors
from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.tenancy.models import Tenant

CAPABILITY = "pricing.demand_forecast"
MAX_ITEMS = 100
LEASE = dt.timedelta(minutes=30)


def check_forecast_items(*, items: list) -> None:
    """Every item valid against the capability's input schema, or one error naming them all."""
    capability = load_capability(CAPABILITY)
    problems = []
    for index, item in enumerate(items):
        errors = schema_errors(capability.input_schema, item, key=(capability.id, capability.version, "input"))
        problems += [{"item": index, **error} for error in errors[:5]]
    if problems:
        raise InputSchemaViolation(
            f"items do not match the input schema of {capability.id} {capability.version}.",
            details={"errors": problems[:50]},
        )


def forecast_batch_submit(*, tenant: Tenant, items: list[dict], context: dict) -> ForecastBatch:
    check_forecast_items(items=items)
    with tenant_context(tenant.id):
        batch = ForecastBatch.objects.create(tenant=tenant, items=items, context=context)
        transaction.on_commit(lambda: _enqueue(batch.id, tenant.id))
    return batch


def _enqueue(batch_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
    from capabilities.tasks import run_forecast_batch

    run_forecast_batch.delay(str(batch_id), str(tenant_id))


def forecast_batch_get(*, tenant_id: uuid.UUID, batch_id: uuid.UUID) -> ForecastBatch:
    with tenant_context(tenant_id):
        batch = ForecastBatch.objects.filter(tenant_id=tenant_id, pk=batch_id).first()
    if batch is None:
        raise NotFound(f"no forecast batch {batch_id}")
    return batch


def _claim(tenant_id: uuid.UUID | str, batch_id: uuid.UUID | str) -> ForecastBatch | None:
    """Queued, or running with a lapsed lease (its worker died): this worker's now. None otherwise."""
    now = timezone.now()
    with tenant_context(tenant_id):
        claimable = (
            ForecastBatch.objects.filter(tenant_id=tenant_id, pk=batch_id)
            .exclude(status=ForecastBatch.Status.COMPLETED)
            .exclude(claimed_until__gt=now)
        )
        if not claimable.update(status=ForecastBatch.Status.RUNNING, claimed_until=now + LEASE):
            return None
        return ForecastBatch.objects.get(tenant_id=tenant_id, pk=batch_id)


def forecast_batch_run(*, tenant_id: uuid.UUID | str, batch_id: uuid.UUID | str) -> str:
    """Run what is left of a batch; its status after. A batch another worker holds is left alone."""
    batch = _claim(tenant_id, batch_id)
    if batch is None:
        return "skipped"
    tenant = Tenant.objects.get(pk=tenant_id)
    results = list(batch.results)
    for index in range(len(results), len(batch.items)):
        results.append(_run_item(batch, tenant, index))
        with tenant_context(tenant_id):
            ForecastBatch.objects.filter(tenant_id=tenant_id, pk=batch_id).update(
                results=results, claimed_until=timezone.now() + LEASE
            )
    with tenant_context(tenant_id):
        ForecastBatch.objects.filter(tenant_id=tenant_id, pk=batch_id).update(
            status=ForecastBatch.Status.COMPLETED, claimed_until=None, finished_at=timezone.now()
        )
    return ForecastBatch.Status.COMPLETED


def _run_item(batch: ForecastBatch, tenant: Tenant, index: int) -> dict:
    request = CompletionRequest(
        capability=CAPABILITY,
        input=batch.items[index],
        context=batch.context,
        request_id=f"forecast-batch-{batch.id}-{index}",
        idempotency_key=f"forecast-batch:{batch.id}:{index}",
    )
    try:
        outcome = complete(request, tenant=tenant)
    except ApplicationError as exc:
        return {"index": index, "error": {"code": exc.code, "message": exc.message}}
    body = outcome.body
    return {
        "index": index,
        "inference_id": body["provenance"]["inference_id"],
        "degraded": body["degraded"],
        "output": body["output"],
    }
