"""`Prefer: respond-async` on /complete (RFC 7240): accepted at once, answered by a worker.

Submit: the request is checked as a synchronous one is before anything is stored (the rate limit,
the capability, its input schema), then an `AsyncInference` row is written and a Celery task is
queued after commit; the caller gets 202 `{"id", "status": "pending"}`. The same Idempotency-Key
returns the same id.

Run (`capabilities.run_async_inference`): the row is claimed with a conditional UPDATE and a
lease, and the ordinary pipeline (`complete`, its three phases: nothing held while the provider
answers) runs with the row's id as the inference id, so `GET /api/v1/ai/inferences/{id}` finds the
InferenceRecord, and its `inference.completed` event, under the id the caller already has. A
redelivered task whose record was written finishes the row without a second call. The stored
request, which carries the caller's personal data, is emptied when the run ends.

The caller reads the answer as every stored answer is read: the record, where personal values
are placeholders (capabilities/recording.py); the values themselves were only ever in the
synchronous response, which an async caller does not wait for.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from capabilities.models import AsyncInference, InferenceRecord
from capabilities.pipeline import CompletionRequest, check_input, check_rate_limit, complete, load_capability
from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.outbox.services import outbox_emit
from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.tenancy.models import Tenant

logger = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=10)


def prefers_async(header: str) -> bool:
    """Whether a `Prefer` header (RFC 7240: comma-separated preferences, each with optional
    parameters) asks for `respond-async`."""
    return any(part.split(";", 1)[0].strip().lower() == "respond-async" for part in header.split(","))


def async_inference_submit(*, completion: CompletionRequest, tenant: Tenant) -> AsyncInference:
    row, created = async_inference_accept(completion=completion, tenant=tenant)
    if created:
        _enqueue(row.id, tenant.id)
    return row


def async_inference_accept(*, completion: CompletionRequest, tenant: Tenant) -> tuple[AsyncInference, bool]:
    """Check the request as a synchronous one is checked and store it (committed on return); the
    row and whether it is new. The same idempotency key finds the row already accepted. The HTTP
    path queues a Celery task for a new row; the Pub/Sub subscriber runs it itself."""
    check_rate_limit(tenant, completion.feature)
    capability = load_capability(completion.capability)
    check_input(capability, completion.input)
    stored = {
        "capability": completion.capability,
        "input": completion.input,
        "context": completion.context,
        "request_id": completion.request_id,
        "no_cache": completion.no_cache,
        "no_store": completion.no_store,
    }
    key = completion.idempotency_key or ""
    try:
        with tenant_context(tenant.id):
            row = AsyncInference.objects.create(
                tenant=tenant, request=stored, capability=capability.id, idempotency_key=key
            )
    except IntegrityError:  # the same idempotency key: the request already accepted
        with tenant_context(tenant.id):
            return AsyncInference.objects.get(tenant=tenant, idempotency_key=key), False
    return row, True


def _enqueue(async_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
    from capabilities.tasks import run_async_inference

    transaction.on_commit(lambda: run_async_inference.delay(str(async_id), str(tenant_id)))


def async_inference_find(*, tenant_id: uuid.UUID | str, idempotency_key: str) -> AsyncInference | None:
    """The request accepted under this idempotency key, if any (a redelivered Pub/Sub message)."""
    with tenant_context(tenant_id):
        return AsyncInference.objects.filter(tenant_id=tenant_id, idempotency_key=idempotency_key).first()


def async_inference_get(*, tenant_id: uuid.UUID | str, async_id: uuid.UUID | str) -> AsyncInference | None:
    with tenant_context(tenant_id):
        return AsyncInference.objects.filter(tenant_id=tenant_id, pk=async_id).first()


def _claim(tenant_id: uuid.UUID | str, async_id: uuid.UUID | str) -> AsyncInference | None:
    """Pending, or running with a lapsed lease (its worker died): this worker's now."""
    now = timezone.now()
    with tenant_context(tenant_id):
        claimable = AsyncInference.objects.filter(
            tenant_id=tenant_id, pk=async_id, status__in=[AsyncInference.Status.PENDING, AsyncInference.Status.RUNNING]
        ).exclude(claimed_until__gt=now)
        if not claimable.update(status=AsyncInference.Status.RUNNING, claimed_until=now + LEASE):
            return None
        return AsyncInference.objects.get(tenant_id=tenant_id, pk=async_id)


def _finish(row: AsyncInference, *, error: dict | None = None) -> None:
    with tenant_context(row.tenant_id):
        status = AsyncInference.Status.FAILED if error else AsyncInference.Status.COMPLETED
        AsyncInference.objects.filter(tenant_id=row.tenant_id, pk=row.id).update(
            status=status, error=error, request=None, claimed_until=None, finished_at=timezone.now()
        )
        if error:
            outbox_emit(
                topic="inference.failed",
                key=str(row.id),
                tenant_id=row.tenant_id,
                payload={"inference_id": str(row.id), "capability": row.capability, "error": {"code": error["code"]}},
            )


RETRY = "retry"


def _release(row: AsyncInference) -> None:
    """Give the claim back (pending, no lease): the next delivery of the request runs it."""
    with tenant_context(row.tenant_id):
        AsyncInference.objects.filter(tenant_id=row.tenant_id, pk=row.id).update(
            status=AsyncInference.Status.PENDING, claimed_until=None
        )


def async_inference_run(*, tenant_id: uuid.UUID | str, async_id: uuid.UUID | str, retry_on_error: bool = False) -> str:
    """Run an accepted request; its status after. One another worker holds is left alone.

    `retry_on_error` (the Pub/Sub subscriber, before a message's last delivery): a failure that may
    pass (an unexpected exception, an error answered 5xx such as `unavailable`) leaves the request
    pending and returns `"retry"`, so the redelivered message runs it again; without it (the Celery
    task, the last delivery) the request is failed with its error. Errors of the request itself
    (4xx: blocked content, a spent budget) are its answer either way."""
    row = _claim(tenant_id, async_id)
    if row is None:
        return "skipped"
    with tenant_context(tenant_id):
        recorded = InferenceRecord.objects.filter(tenant_id=tenant_id, pk=row.id).exists()
    if recorded or row.request is None:  # a redelivery after the record was written
        _finish(row)
        return AsyncInference.Status.COMPLETED
    stored = row.request
    completion = CompletionRequest(
        capability=stored["capability"],
        input=stored["input"],
        context=stored["context"],
        request_id=stored.get("request_id") or uuid.uuid4().hex,
        no_cache=stored.get("no_cache", False),
        no_store=stored.get("no_store", False),
        inference_id=row.id,
        rate_limit_checked=True,
    )
    tenant = Tenant.objects.get(pk=tenant_id)
    try:
        complete(completion, tenant=tenant)
    except ApplicationError as exc:
        if retry_on_error and exc.status >= 500:
            _release(row)
            return RETRY
        _finish(row, error={"code": exc.code, "message": exc.message, "details": exc.details})
        return AsyncInference.Status.FAILED
    except Exception as exc:
        logger.exception(
            "async inference failed", extra={"inference_id": str(row.id), "error_class": type(exc).__name__}
        )
        if retry_on_error:
            _release(row)
            return RETRY
        _finish(row, error={"code": "internal_error", "message": "The request could not be completed.", "details": {}})
        return AsyncInference.Status.FAILED
    _finish(row)
    return AsyncInference.Status.COMPLETED


def async_inference_abandon(*, tenant_id: uuid.UUID | str, async_id: uuid.UUID | str) -> bool:
    """Fail a request whose every attempt failed (the subscriber's last delivery); False when it is
    no longer pending (it finished, or another worker holds it)."""
    row = _claim(tenant_id, async_id)
    if row is None:
        return False
    message = "The request could not be completed; every attempt failed."
    _finish(row, error={"code": "unavailable", "message": message, "details": {}})
    return True


def async_status_body(row: AsyncInference) -> dict:
    """What `GET /api/v1/ai/inferences/{id}` answers while no record exists (pending, running, failed)."""
    body: dict = {
        "id": str(row.id),
        "capability": row.capability,
        "status": "pending" if row.status == AsyncInference.Status.RUNNING else row.status,
        "created_at": row.created_at.isoformat(),
    }
    if row.error:
        body["error"] = row.error
    if row.finished_at:
        body["finished_at"] = row.finished_at.isoformat()
    return body
