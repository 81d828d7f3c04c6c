"""Webhook endpoints (a tenant's admin API) and deliveries: fan-out, attempts, redelivery.

Fan-out runs inside the outbox relay's own transaction (OUTBOX_PUBLISHED_HOOKS): the statement
that marks a batch published also inserts one delivery per (event, subscribed active endpoint),
so an event is either published *and* fanned out or neither; the unique (endpoint, event_id) makes
a second relay of the same event (a lease that ran out) add nothing. Deliveries are POSTed by the
`webhooks.deliver` task, queued after that commit and again by the `webhooks.dispatch` sweep
when they fall due; every attempt claims its row with a conditional UPDATE, commits, and only then
makes the HTTP call: no transaction and no pooled connection is held while a receiver answers.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from melmastoon_ai.errors import ApplicationError, Conflict
from melmastoon_ai.outbox.catalog import TOPICS
from melmastoon_ai.outbox.publishers import Envelope
from melmastoon_ai.tenancy.context import release_connection, tenant_context, webhook_dispatch_access
from melmastoon_ai.webhooks import crypto, transport
from melmastoon_ai.webhooks.models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status
CLAIM_MARGIN_SECONDS = 30
MAX_ROTATION_GRACE_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class IssuedEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown once


def check_event_types(event_types: list[str]) -> list[str]:
    """Each entry an event type (`hitl.gate_opened`) or a whole family (`hitl.*`) of a known family."""
    cleaned = sorted({entry.strip() for entry in event_types})
    unknown = [entry for entry in cleaned if entry.split(".", 1)[0] not in TOPICS or "." not in entry]
    if not cleaned or unknown:
        raise ApplicationError(
            f"Unknown event types: {', '.join(unknown) or '(none given)'}; use a type such as "
            f"hitl.gate_opened or a family such as hitl.* of: {', '.join(sorted(TOPICS))}.",
            details={"event_types": unknown},
        )
    return cleaned


def _issue_secret(endpoint: WebhookEndpoint) -> str:
    secret = crypto.secret_generate()
    endpoint.secret_encrypted = crypto.secret_encrypt(secret)
    endpoint.secret_hint = secret[: len(crypto.SECRET_PREFIX) + 4]
    return secret


def webhook_endpoint_create(
    *, tenant_id: uuid.UUID, url: str, event_types: list[str], description: str = "", active: bool = True
) -> IssuedEndpoint:
    """Checks the URL (SSRF) and the types, then stores the endpoint with a new secret."""
    transport.destination_check(url)
    endpoint = WebhookEndpoint(
        tenant_id=tenant_id,
        url=url,
        event_types=check_event_types(event_types),
        description=description,
        active=active,
    )
    secret = _issue_secret(endpoint)
    endpoint.save()
    return IssuedEndpoint(endpoint, secret)


def webhook_endpoint_update(*, endpoint: WebhookEndpoint, **changes) -> WebhookEndpoint:
    """`url`, `event_types`, `description`, `active`; a new URL is checked like a new endpoint."""
    if "url" in changes:
        transport.destination_check(changes["url"])
    if "event_types" in changes:
        changes["event_types"] = check_event_types(changes["event_types"])
    for name, value in changes.items():
        setattr(endpoint, name, value)
    endpoint.save()
    return endpoint


def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint, grace_seconds: int | None = None) -> IssuedEndpoint:
    """A new secret that signs every delivery from now on. For `grace_seconds` (default
    WEBHOOK_ROTATION_GRACE_SECONDS) the old one signs too, next to it, so a receiver still
    configured with the old secret accepts deliveries until it switches; 0 retires the old one at
    once (a leaked secret). A rotation during a grace window retires the secret before the last."""
    grace = settings.WEBHOOK_ROTATION_GRACE_SECONDS if grace_seconds is None else grace_seconds
    if not 0 <= grace <= MAX_ROTATION_GRACE_SECONDS:
        raise ApplicationError(
            f"grace_seconds is from 0 to {MAX_ROTATION_GRACE_SECONDS} (7 days).", details={"grace_seconds": grace}
        )
    if grace:
        endpoint.previous_secret_encrypted = endpoint.secret_encrypted
        endpoint.previous_secret_expires_at = timezone.now() + dt.timedelta(seconds=grace)
    else:
        endpoint.previous_secret_encrypted, endpoint.previous_secret_expires_at = "", None
    secret = _issue_secret(endpoint)
    endpoint.save(
        update_fields=[
            "secret_encrypted",
            "secret_hint",
            "previous_secret_encrypted",
            "previous_secret_expires_at",
            "updated_at",
        ]
    )
    return IssuedEndpoint(endpoint, secret)


def webhook_delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """A parked delivery back in the queue, attempts from zero, due now; 409 for any other."""
    updated = WebhookDelivery.objects.filter(tenant_id=delivery.tenant_id, pk=delivery.pk, status=Status.PARKED).update(
        status=Status.PENDING, attempts=0, next_attempt_at=timezone.now(), claimed_until=None, updated_at=timezone.now()
    )
    if not updated:
        raise Conflict(f"Only a parked delivery can be redelivered; this one is {delivery.status}.")
    delivery.refresh_from_db()
    _enqueue_after_commit([(delivery.id, delivery.tenant_id)])
    return delivery


def webhook_fan_out(*, envelopes: list[Envelope]) -> int:
    """The relay's hook: deliveries for the events it just marked published, in its transaction
    (the relay's RLS policy lets it read endpoints and insert deliveries, webhooks migration 0001)."""
    tenant_ids = {envelope.tenant_id for envelope in envelopes if envelope.tenant_id}
    if not tenant_ids:
        return 0
    endpoints = list(
        WebhookEndpoint.objects.filter(tenant_id__in=tenant_ids, active=True).only("id", "tenant_id", "event_types")
    )
    by_tenant: dict[str, list[WebhookEndpoint]] = {}
    for endpoint in endpoints:
        by_tenant.setdefault(str(endpoint.tenant_id), []).append(endpoint)
    rows: list[WebhookDelivery] = []
    for envelope in envelopes:
        subscribed = [e for e in by_tenant.get(envelope.tenant_id or "", []) if e.subscribes_to(envelope.topic)]
        body = envelope.to_json() if subscribed else ""
        rows.extend(
            WebhookDelivery(
                tenant_id=endpoint.tenant_id,
                endpoint_id=endpoint.id,
                event_id=envelope.id,
                event_type=envelope.topic,
                body=body,
            )
            for endpoint in subscribed
        )
    if rows:
        WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)  # a re-relayed event adds nothing
        _enqueue_after_commit([(row.id, row.tenant_id) for row in rows])
    return len(rows)


def _enqueue_after_commit(deliveries: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
    from melmastoon_ai.webhooks.tasks import deliver

    def send() -> None:
        for delivery_id, tenant_id in deliveries:
            deliver.delay(str(delivery_id), str(tenant_id))

    transaction.on_commit(send)


@dataclass(frozen=True)
class Attempt:
    delivery_id: uuid.UUID
    tenant_id: uuid.UUID
    url: str
    secrets: list[str]  # the current one first; the previous one during a rotation's grace window
    event_id: uuid.UUID
    event_type: str
    body: str
    attempts: int
    claimed_until: dt.datetime


def backoff(attempts: int) -> dt.timedelta:
    """Exponential from WEBHOOK_BACKOFF_BASE_SECONDS, capped, with jitter (half fixed, half random)
    so the retries of one receiver's outage do not all land at once."""
    ceiling = min(
        settings.WEBHOOK_BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), settings.WEBHOOK_BACKOFF_MAX_SECONDS
    )
    return dt.timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311 (jitter, not a secret)


def _claim(delivery_id: uuid.UUID | str, tenant_id: uuid.UUID | str) -> Attempt | None:
    """One short tenant transaction: the row claimed for this attempt, or None (done, not due, or
    another worker's). A delivery to an endpoint switched off meanwhile is parked instead."""
    now = timezone.now()
    until = now + dt.timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 3 + CLAIM_MARGIN_SECONDS)
    with tenant_context(tenant_id):
        claimed = WebhookDelivery.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            pk=delivery_id,
            tenant_id=tenant_id,
            status=Status.PENDING,
            next_attempt_at__lte=now,
        ).update(claimed_until=until)
        if not claimed:
            return None
        delivery = WebhookDelivery.objects.select_related("endpoint").get(tenant_id=tenant_id, pk=delivery_id)
        endpoint = delivery.endpoint
        if not endpoint.active:
            WebhookDelivery.objects.filter(tenant_id=tenant_id, pk=delivery_id).update(
                status=Status.PARKED, claimed_until=None, last_error="endpoint is not active", updated_at=now
            )
            return None
        return Attempt(
            delivery_id=delivery.id,
            tenant_id=delivery.tenant_id,
            url=endpoint.url,
            secrets=[crypto.secret_decrypt(token) for token in endpoint.signing_secrets_encrypted(now=now)],
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            body=delivery.body,
            attempts=delivery.attempts,
            claimed_until=until,
        )


def _headers(attempt: Attempt, body: bytes) -> dict[str, str]:
    timestamp = int(time.time())
    return {
        "Content-Type": "application/json",
        "User-Agent": "melmastoon-ai-webhooks/1",
        "X-Melmastoon-Event": attempt.event_type,
        "X-Melmastoon-Event-Id": str(attempt.event_id),
        "X-Melmastoon-Delivery": str(attempt.delivery_id),
        "X-Melmastoon-Timestamp": str(timestamp),
        "X-Melmastoon-Signature": crypto.signature_header(secrets=attempt.secrets, timestamp=timestamp, body=body),
    }


def _record(attempt: Attempt, outcome: transport.Outcome) -> str:
    """The attempt's outcome, only if the claim is still this attempt's: delivered on a 2xx,
    else due again after `backoff`, parked after WEBHOOK_MAX_ATTEMPTS."""
    now = timezone.now()
    attempts = attempt.attempts + 1
    fields: dict = {"attempts": attempts, "last_status_code": outcome.status_code, "claimed_until": None}
    if outcome.delivered:
        state = Status.DELIVERED
        fields |= {"status": state, "delivered_at": now, "last_error": ""}
    elif attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        state = Status.PARKED
        fields |= {"status": state, "last_error": outcome.error}
    else:
        state = Status.PENDING
        fields |= {"last_error": outcome.error, "next_attempt_at": now + backoff(attempts)}
    with tenant_context(attempt.tenant_id):
        WebhookDelivery.objects.filter(
            tenant_id=attempt.tenant_id,
            pk=attempt.delivery_id,
            status=Status.PENDING,
            claimed_until=attempt.claimed_until,
        ).update(updated_at=now, **fields)
    if state == Status.PARKED:
        logger.error(
            "webhook delivery parked", extra={"delivery_id": str(attempt.delivery_id), "event_type": attempt.event_type}
        )
    return state


def webhook_deliver(*, delivery_id: uuid.UUID | str, tenant_id: uuid.UUID | str) -> str:
    """One attempt of one delivery: `delivered`, `pending` (retried later), `parked` or `skipped`."""
    attempt = _claim(delivery_id, tenant_id)
    if attempt is None:
        return "skipped"
    release_connection()  # nothing of the database is held while the receiver answers
    body = attempt.body.encode()
    outcome = transport.post(attempt.url, body=body, headers=_headers(attempt, body))
    return _record(attempt, outcome)


def webhook_due(*, limit: int = 500) -> list[tuple[str, str]]:
    """(delivery id, tenant id) of every pending delivery that is due and not claimed, across
    tenants, through the dispatcher's narrow policy (it sees pending deliveries' ids, nothing else)."""
    now = timezone.now()
    with webhook_dispatch_access():
        due = (
            WebhookDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .order_by("next_attempt_at")
            .values_list("id", "tenant_id")[:limit]
        )
        return [(str(delivery_id), str(tenant_id)) for delivery_id, tenant_id in due]
