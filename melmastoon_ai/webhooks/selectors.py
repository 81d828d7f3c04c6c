"""Reads of a tenant's webhooks; every one takes the tenant explicitly (RLS is the backstop)."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet

from melmastoon_ai.errors import NotFound
from melmastoon_ai.webhooks.models import WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list(*, tenant_id: uuid.UUID) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(tenant_id=tenant_id).order_by("created_at")


def webhook_endpoint_get(*, tenant_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """The tenant's endpoint; 404 for another tenant's as for none."""
    endpoint = WebhookEndpoint.objects.filter(tenant_id=tenant_id, pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


def webhook_delivery_get(*, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.filter(tenant_id=tenant_id, endpoint_id=endpoint_id, pk=delivery_id).first()
    if delivery is None:
        raise NotFound("No such webhook delivery.")
    return delivery


def webhook_delivery_page(
    *, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, status: str | None, limit: int, after: dict[str, str] | None
) -> tuple[list[WebhookDelivery], dict[str, str] | None]:
    """Newest first, keyset by (created_at, id); the position of the last row when more follow."""
    deliveries = WebhookDelivery.objects.filter(tenant_id=tenant_id, endpoint_id=endpoint_id)
    if status:
        deliveries = deliveries.filter(status=status)
    if after is not None:
        deliveries = deliveries.filter(
            Q(created_at__lt=after["created_at"]) | Q(created_at=after["created_at"], id__lt=after["id"])
        )
    rows = list(deliveries.order_by("-created_at", "-id")[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], {"created_at": last.created_at.isoformat(), "id": str(last.id)}
