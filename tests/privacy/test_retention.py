"""Retention: a tenant's periods (its policy, else the defaults) applied in batches; rows inside
their period, and other tenants' rows, stay."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from capabilities.models import IdempotencyRecord, InferenceRecord, ModerationBlock
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.tenancy.context import platform_access, tenant_context
from privacy.models import RetentionPolicy
from privacy.retention import retention_of, retention_sweep, tenant_retention_apply

pytestmark = pytest.mark.django_db


def answer(client) -> str:
    response = client.post(
        "/api/v1/ai/complete",
        {
            "capability": "pricing.suggest",
            "context": {"feature": "pricing", "subject_ref": "guest-1"},
            "input": {"bar": {"amount": 120, "currency": "EUR"}, "occupancy_pct": 88, "stay_date": "2027-03-14"},
        },
        format="json",
        HTTP_CACHE_CONTROL="no-store",
    )
    assert response.status_code == 200
    return response.json()["id"]


def age(tenant, days: int) -> None:
    """Every row of the tenant made `days` ago (and its events relayed then)."""
    then = timezone.now() - dt.timedelta(days=days)
    with tenant_context(tenant.id):
        InferenceRecord.objects.filter(tenant_id=tenant.id).update(created_at=then)
        IdempotencyRecord.objects.filter(tenant_id=tenant.id).update(created_at=then)
        OutboxEvent.objects.filter(tenant_id=tenant.id).update(published_at=then)


def test_defaults_and_a_tenants_policy(tenant_a, settings):
    assert retention_of(tenant_a.id) == settings.PRIVACY_RETENTION_DEFAULTS
    assert settings.PRIVACY_RETENTION_DEFAULTS == {
        "inference_content_days": 90,
        "idempotency_days": 2,
        "published_event_days": 7,
        "moderation_block_days": 365,
    }
    with tenant_context(tenant_a.id):
        RetentionPolicy.objects.create(tenant=tenant_a, inference_content_days=30)
    assert retention_of(tenant_a.id)["inference_content_days"] == 30
    assert retention_of(tenant_a.id)["idempotency_days"] == 2


def test_the_sweep_empties_and_deletes_past_their_period_in_batches(
    client_a, client_b, tenant_a, tenant_b, catalog, settings
):
    settings.PRIVACY_RETENTION_BATCH = 2  # several batches for three rows
    for _ in range(3):
        answer(client_a)
    kept = answer(client_b)
    with tenant_context(tenant_a.id):
        RetentionPolicy.objects.create(tenant=tenant_a, inference_content_days=30)
        IdempotencyRecord.objects.create(tenant=tenant_a, key="k", request_hash="h", response={"id": "x"})
        ModerationBlock.objects.create(
            tenant=tenant_a,
            request_id="r",
            capability="pricing.suggest",
            categories={},
            input_hash="h",
            created_at=timezone.now() - dt.timedelta(days=400),
        )
    age(tenant_a, 31)
    age(tenant_b, 31)  # inside the default 90 days for inferences; past 7 for relayed events
    with platform_access(actor="test", reason="retention"):
        totals = retention_sweep()
    assert totals["inferences_emptied"] == 3 and totals["idempotency_deleted"] == 1
    assert totals["moderation_blocks_deleted"] == 1 and totals["events_deleted"] >= 6
    with tenant_context(tenant_a.id):
        assert not InferenceRecord.objects.filter(tenant_id=tenant_a.id, erased_at__isnull=True).exists()
        assert InferenceRecord.objects.filter(tenant_id=tenant_a.id).count() == 3  # the facts stay
        assert not OutboxEvent.objects.filter(tenant_id=tenant_a.id).exists()
    with tenant_context(tenant_b.id):
        assert InferenceRecord.objects.get(tenant_id=tenant_b.id, pk=kept).context["subject_ref"] == "guest-1"
    assert tenant_retention_apply(tenant_id=tenant_a.id)["inferences_emptied"] == 0  # nothing left to do


def test_finished_webhook_deliveries_go_with_their_events_and_pending_ones_stay(tenant_a):
    from melmastoon_ai.webhooks.models import WebhookDelivery, WebhookEndpoint

    old = timezone.now() - dt.timedelta(days=8)
    with tenant_context(tenant_a.id):
        endpoint = WebhookEndpoint.objects.create(
            tenant=tenant_a, url="https://hooks.example.com/", event_types=["hitl.*"], secret_encrypted="x"
        )
        for status, created_at in [
            ("delivered", old),
            ("parked", old),
            ("pending", old),
            ("delivered", timezone.now()),
        ]:
            WebhookDelivery.objects.create(
                tenant=tenant_a,
                endpoint=endpoint,
                event_id=uuid.uuid4(),
                event_type="hitl.gate_opened",
                body="{}",
                status=status,
                created_at=created_at,
            )
    assert tenant_retention_apply(tenant_id=tenant_a.id)["webhook_deliveries_deleted"] == 2
    with tenant_context(tenant_a.id):
        left = sorted(WebhookDelivery.objects.filter(tenant_id=tenant_a.id).values_list("status", flat=True))
    assert left == ["delivered", "pending"]
