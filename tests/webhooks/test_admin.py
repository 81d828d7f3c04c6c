"""Django admin: endpoints with their deliveries, deliveries on their own; an unsafe URL refused."""

from __future__ import annotations

import uuid

import pytest

from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.webhooks.models import WebhookDelivery
from melmastoon_ai.webhooks.services import webhook_endpoint_create
from tests.factories import staff_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint_with_delivery(tenant_a, receiver_fake):
    with tenant_context(tenant_a.id):
        endpoint = webhook_endpoint_create(
            tenant_id=tenant_a.id, url=receiver_fake.url, event_types=["hitl.*"]
        ).endpoint
        delivery = WebhookDelivery.objects.create(
            tenant=tenant_a,
            endpoint=endpoint,
            event_id=uuid.uuid4(),
            event_type="hitl.gate_opened",
            body="{}",
            status="parked",
            attempts=5,
            last_status_code=503,
            last_error="HTTP 503",
        )
    return endpoint, delivery


def test_an_endpoints_page_lists_its_deliveries_and_the_deliveries_have_their_own(
    client, superuser, endpoint_with_delivery
):
    endpoint, delivery = endpoint_with_delivery
    staff_login(client, superuser)
    page = client.get(f"/admin/webhooks/webhookendpoint/{endpoint.id}/change/").content.decode()
    assert "hitl.gate_opened" in page and "HTTP 503" in page and str(delivery.event_id) in page
    assert endpoint.secret_encrypted not in page
    listing = client.get("/admin/webhooks/webhookdelivery/?status=parked")
    assert listing.status_code == 200 and "hitl.gate_opened" in listing.content.decode()
    assert client.get(f"/admin/webhooks/webhookdelivery/{delivery.id}/change/").status_code == 200


def test_the_admin_refuses_to_retarget_an_endpoint_at_the_metadata_service(client, superuser, endpoint_with_delivery):
    endpoint, _ = endpoint_with_delivery
    staff_login(client, superuser)
    response = client.post(
        f"/admin/webhooks/webhookendpoint/{endpoint.id}/change/",
        {
            "url": "https://169.254.169.254/latest/meta-data",
            "event_types": "hitl.*",
            "description": "",
            "active": "on",
            "deliveries-TOTAL_FORMS": "1",
            "deliveries-INITIAL_FORMS": "1",
            "deliveries-MIN_NUM_FORMS": "0",
            "deliveries-MAX_NUM_FORMS": "0",
        },
    )
    assert response.status_code == 200 and "link-local" in response.content.decode()
    with tenant_context(endpoint.tenant_id):
        endpoint.refresh_from_db()
    assert endpoint.url.startswith("http://127.0.0.1")
