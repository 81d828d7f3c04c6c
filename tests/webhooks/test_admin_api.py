"""/api/v1/admin/webhooks: a tenant's own endpoints only, the secret shown once, SSRF refused at
registration with a 400 that says why, the error envelope for every bad request."""

from __future__ import annotations

import uuid

import pytest

from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.webhooks import crypto
from melmastoon_ai.webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db
URL = "/api/v1/admin/webhooks"


def _create(client, url, event_types=("hitl.gate_opened",), **extra):
    return client.post(URL, {"url": url, "event_types": list(event_types), **extra}, format="json")


def test_create_shows_the_secret_once_and_stores_it_encrypted(client_a, tenant_a, receiver_fake):
    response = _create(client_a, receiver_fake.url, ["hitl.*", "inference.completed"])
    assert response.status_code == 201, response.content
    body = response.json()
    secret = body["secret"]
    assert secret.startswith("whsec_") and body["secret_hint"] == secret[:10]
    assert body["event_types"] == ["hitl.*", "inference.completed"] and body["active"] is True

    listed = client_a.get(URL).json()
    fetched = client_a.get(f"{URL}/{body['id']}").json()
    assert [row["id"] for row in listed] == [body["id"]]
    assert "secret" not in listed[0] and "secret" not in fetched
    with tenant_context(tenant_a.id):
        stored = WebhookEndpoint.objects.get(pk=body["id"])
    assert secret not in stored.secret_encrypted
    assert crypto.secret_decrypt(stored.secret_encrypted) == secret


def test_update_rotate_and_delete(client_a, tenant_a, receiver_fake):
    created = _create(client_a, receiver_fake.url).json()
    detail = f"{URL}/{created['id']}"
    updated = client_a.patch(detail, {"active": False, "event_types": ["budget.*"]}, format="json")
    assert updated.status_code == 200, updated.content
    assert (updated.json()["active"], updated.json()["event_types"]) == (False, ["budget.*"])

    rotated = client_a.post(f"{detail}/rotate-secret")
    assert rotated.status_code == 200
    assert rotated.json()["secret"] != created["secret"]
    with tenant_context(tenant_a.id):
        stored = WebhookEndpoint.objects.get(pk=created["id"])
    assert crypto.secret_decrypt(stored.secret_encrypted) == rotated.json()["secret"]

    assert client_a.delete(detail).status_code == 204
    assert client_a.get(detail).status_code == 404


@pytest.mark.parametrize(
    "url, words",
    [
        ("https://10.1.2.3/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[::ffff:10.0.0.1]/hook", "private"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://0.0.0.0/hook", "unspecified"),
        ("https://224.0.0.1/hook", "multicast"),
        ("https://240.0.0.1/hook", "resolves to 240.0.0.1"),  # reserved; Python counts it private too
        ("http://example/hook", "must be https"),
        ("ftp://example.com/hook", "must be https"),
        ("https://user:pw@example.com/hook", "credentials"),
    ],
)
def test_unsafe_urls_are_refused_at_registration(client_a, settings, url, words):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    response = _create(client_a, url)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and words in error["message"]


@pytest.mark.parametrize("url", ["http://[::1]:9/hook", "https://127.0.0.1/hook", "http://localhost:9/hook"])
def test_loopback_is_refused_without_the_setting(client_a, settings, url):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    response = _create(client_a, url)
    assert response.status_code == 400, response.content


def test_loopback_over_http_is_accepted_with_the_setting_and_a_private_host_when_allowed(client_a, settings):
    assert _create(client_a, "http://[::1]:9/hook").status_code == 201
    assert _create(client_a, "http://10.1.2.3/hook").status_code == 400  # http never leaves loopback
    settings.WEBHOOK_ALLOWED_HOSTS = ["10.1.0.0/16"]
    assert _create(client_a, "https://10.1.2.3/hook").status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://example.com/h", "event_types": ["nope.thing"]},
        {"url": "https://example.com/h", "event_types": ["hitl"]},
        {"url": "https://example.com/h", "event_types": []},
        {"url": "https://example.com/h", "event_types": "hitl.*"},
        {"url": 42, "event_types": ["hitl.*"]},
        {"event_types": ["hitl.*"]},
        {"url": "https://example.com/h", "event_types": ["hitl.*"], "active": "yes"},
    ],
)
def test_bad_input_is_a_400_in_the_error_envelope(client_a, body):
    response = client_a.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_request"


def test_an_empty_update_and_a_bad_status_filter_are_400(client_a, receiver_fake):
    created = _create(client_a, receiver_fake.url).json()
    assert client_a.patch(f"{URL}/{created['id']}", {}, format="json").status_code == 400
    assert client_a.get(f"{URL}/{created['id']}/deliveries?status=lost").status_code == 400
    assert client_a.get(f"{URL}/{created['id']}/deliveries?cursor=bm90LWEtY3Vyc29y").status_code == 400


def test_another_tenants_endpoint_is_404_everywhere(client_a, client_b, receiver_fake):
    created = _create(client_a, receiver_fake.url).json()
    detail = f"{URL}/{created['id']}"
    assert client_b.get(URL).json() == []
    assert client_b.get(detail).status_code == 404
    assert client_b.patch(detail, {"active": False}, format="json").status_code == 404
    assert client_b.delete(detail).status_code == 404
    assert client_b.post(f"{detail}/rotate-secret").status_code == 404
    assert client_b.get(f"{detail}/deliveries").status_code == 404
    assert client_b.post(f"{detail}/deliveries/{uuid.uuid4()}/redeliver").status_code == 404
    assert client_a.get(detail).status_code == 200  # untouched
    assert client_a.get(f"{URL}/{uuid.uuid4()}").json()["error"]["code"] == "not_found"


def test_the_admin_api_needs_the_admin_scope(client_for, tenant_a):
    from tests.factories import ApiKeyFactory

    invoker = client_for(ApiKeyFactory(tenant=tenant_a, scopes=["ai:invoke"]).raw)
    assert invoker.get(URL).status_code == 403


def _delivery(tenant, endpoint_id, status):
    with tenant_context(tenant.id):
        return WebhookDelivery.objects.create(
            tenant_id=tenant.id,
            endpoint_id=endpoint_id,
            event_id=uuid.uuid4(),
            event_type="hitl.gate_opened",
            body="{}",
            status=status,
            attempts=5,
        )


def test_deliveries_are_listed_newest_first_and_only_a_parked_one_is_redelivered(
    client_a, tenant_a, receiver_fake, django_capture_on_commit_callbacks, monkeypatch
):
    from melmastoon_ai.webhooks import tasks

    queued = []
    monkeypatch.setattr(tasks.deliver, "delay", lambda *args: queued.append(args))
    created = _create(client_a, receiver_fake.url).json()
    delivered = _delivery(tenant_a, created["id"], WebhookDelivery.Status.DELIVERED)
    parked = _delivery(tenant_a, created["id"], WebhookDelivery.Status.PARKED)
    base = f"{URL}/{created['id']}/deliveries"

    page = client_a.get(f"{base}?limit=1").json()
    assert [row["id"] for row in page["results"]] == [str(parked.id)] and page["next"]
    second = client_a.get(page["next"]).json()
    assert [row["id"] for row in second["results"]] == [str(delivered.id)] and second["next"] is None
    assert [row["id"] for row in client_a.get(f"{base}?status=parked").json()["results"]] == [str(parked.id)]

    assert client_a.post(f"{base}/{delivered.id}/redeliver").status_code == 409
    with django_capture_on_commit_callbacks(execute=True):
        again = client_a.post(f"{base}/{parked.id}/redeliver")
    assert again.status_code == 200, again.content
    assert (again.json()["status"], again.json()["attempts"]) == ("pending", 0)
    assert queued == [(str(parked.id), str(tenant_a.id))]


def test_the_webhook_admin_api_is_in_the_openapi_schema(anon_client):
    paths = anon_client.get("/api/schema/?format=json").json()["paths"]
    assert {
        "/api/v1/admin/webhooks",
        "/api/v1/admin/webhooks/{endpoint_id}",
        "/api/v1/admin/webhooks/{endpoint_id}/rotate-secret",
        "/api/v1/admin/webhooks/{endpoint_id}/deliveries",
        "/api/v1/admin/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    } <= set(paths)


def test_row_level_security_hides_a_tenants_webhooks_from_others_and_from_the_relay(
    client_a, tenant_a, tenant_b, receiver_fake
):
    from melmastoon_ai.tenancy.context import outbox_relay_access

    created = _create(client_a, receiver_fake.url).json()
    _delivery(tenant_a, created["id"], WebhookDelivery.Status.DELIVERED)
    with tenant_context(tenant_b.id):
        assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()
    with outbox_relay_access():  # the relay reads endpoints to fan out, and no delivery
        assert WebhookEndpoint.objects.count() == 1 and not WebhookDelivery.objects.exists()
    assert not WebhookEndpoint.objects.exists()  # no tenant set: nothing
