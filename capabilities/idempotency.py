"""Idempotency-Key: the same key and body return the stored response without running or charging
again; a different body is 409 `idempotency_conflict`.

A call claims its key with a committed `in_progress` record before any work starts (a short
transaction of its own, no lock held afterwards). A concurrent duplicate finds the claim and waits
for the first call to finish, polling with short reads and holding nothing, then answers with the
stored response; if the first call is still running when the duplicate's own deadline comes, the
duplicate gets 409 `idempotency_in_progress` with `Retry-After`. A call that fails gives its claim
back, and a claim whose holder died (a killed process) is taken over once its lease has passed.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from capabilities.models import IdempotencyRecord
from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.tenancy.context import release_connection, tenant_context

POLL_FIRST_SECONDS = 0.05
POLL_MAX_SECONDS = 0.5


class IdempotencyConflict(ApplicationError):
    status = 409
    code = "idempotency_conflict"


class IdempotencyInProgress(ApplicationError):
    status = 409
    code = "idempotency_in_progress"


@dataclass(frozen=True)
class Claim:
    """`record_id` when this call holds the key; `stored` when an earlier call already answered;
    neither when another call holds it right now."""

    record_id: int | None = None
    stored: IdempotencyRecord | None = None

    @property
    def held_elsewhere(self) -> bool:
        return self.record_id is None and self.stored is None


_CLAIM_SQL = """
INSERT INTO capabilities_idempotencyrecord (tenant_id, key, request_hash, state, claimed_until, created_at)
VALUES (%s, %s, %s, 'in_progress', %s, %s)
ON CONFLICT (tenant_id, key) DO NOTHING
RETURNING id
"""


def idempotency_claim(*, tenant_id: uuid.UUID, key: str, request_hash: str, lease_seconds: float) -> Claim:
    """Inside the caller's tenant transaction. A concurrent insert of the same key waits only until
    the other claim's (short) transaction commits."""
    now = timezone.now()
    until = now + dt.timedelta(seconds=lease_seconds)
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, [tenant_id, key, request_hash, until, now])
        row = cursor.fetchone()
    if row is not None:
        return Claim(record_id=row[0])
    record = IdempotencyRecord.objects.filter(tenant_id=tenant_id, key=key).first()
    if record is None:  # given back between our insert and this read: claim again
        return idempotency_claim(tenant_id=tenant_id, key=key, request_hash=request_hash, lease_seconds=lease_seconds)
    if record.request_hash != request_hash:
        raise IdempotencyConflict(
            "This Idempotency-Key was used with a different request body.", details={"idempotency_key": key}
        )
    if record.state == IdempotencyRecord.State.COMPLETED:
        return Claim(stored=record)
    taken_over = IdempotencyRecord.objects.filter(
        pk=record.pk,
        state=IdempotencyRecord.State.IN_PROGRESS,
        claimed_until__lt=now,
    ).update(claimed_until=until)
    return Claim(record_id=record.pk) if taken_over else Claim()


def idempotency_wait(
    *, tenant_id: uuid.UUID, key: str, request_hash: str, lease_seconds: float, deadline: float
) -> Claim:
    """Another call holds the key: poll (a short transaction each time, nothing held in between)
    until it has answered (the stored record), gave the key back or died (then this call claims it),
    or `deadline` (time.monotonic) passes: 409 idempotency_in_progress."""
    pause = POLL_FIRST_SECONDS
    while time.monotonic() + pause < deadline:
        time.sleep(pause)
        with tenant_context(tenant_id):
            claim = idempotency_claim(
                tenant_id=tenant_id, key=key, request_hash=request_hash, lease_seconds=lease_seconds
            )
        release_connection()
        if not claim.held_elsewhere:
            return claim
        pause = min(pause * 2, POLL_MAX_SECONDS)
    raise IdempotencyInProgress(
        "A request with this Idempotency-Key is still being processed; retry shortly.",
        details={"idempotency_key": key},
        headers={"Retry-After": "1"},
    )


def idempotency_complete(*, tenant_id: uuid.UUID, record_id: int, status_code: int, response: dict) -> None:
    """In the transaction that persists the answer: the claim becomes the stored response."""
    IdempotencyRecord.objects.filter(tenant_id=tenant_id, pk=record_id).update(
        state=IdempotencyRecord.State.COMPLETED,
        status_code=status_code,
        response=response,
        claimed_until=None,
    )


def idempotency_release(*, tenant_id: uuid.UUID, record_id: int) -> None:
    """The call failed or was refused: give the key back so a retry runs (a short transaction)."""
    with tenant_context(tenant_id):
        IdempotencyRecord.objects.filter(
            tenant_id=tenant_id, pk=record_id, state=IdempotencyRecord.State.IN_PROGRESS
        ).delete()
