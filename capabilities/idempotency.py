"""Idempotency-Key: the same key and body return the stored response without running or
charging again; a different body is 409. Concurrent duplicates serialise on a transaction-level
advisory lock, so exactly one runs and the others read its committed answer."""

from __future__ import annotations

import uuid

from django.db import connection

from capabilities.models import IdempotencyRecord
from melmastoon_ai.errors import ApplicationError


class IdempotencyConflict(ApplicationError):
    status = 409
    code = "idempotency_conflict"


def idempotency_claim(*, tenant_id: uuid.UUID, key: str, request_hash: str) -> IdempotencyRecord | None:
    """Hold the key for this transaction; the stored record when the call already happened."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"idem:{tenant_id}:{key}"])
    record = IdempotencyRecord.objects.filter(tenant_id=tenant_id, key=key).first()
    if record is not None and record.request_hash != request_hash:
        raise IdempotencyConflict("This Idempotency-Key was used with a different request body.",
                                  details={"idempotency_key": key})
    return record


def idempotency_store(*, tenant_id: uuid.UUID, key: str, request_hash: str, status_code: int, response: dict) -> None:
    IdempotencyRecord.objects.create(tenant_id=tenant_id, key=key, request_hash=request_hash,
                                     status_code=status_code, response=response)
