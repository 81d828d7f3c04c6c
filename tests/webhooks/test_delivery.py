"""Events leave as signed POSTs: fanned out in the relay's transaction, delivered by the Celery
task (eager here, as Celery runs it in a worker) to a real receiver on 127.0.0.1 that checks the
signature, retried with backoff, parked after 5 failures, refused at delivery time when the URL
has become unsafe, never followed through a redirect."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import threading

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from melmastoon_ai.celery import app as celery_app
from melmastoon_ai.outbox.publishers import Envelope, RedisStreamsPublisher
from melmastoon_ai.outbox.services import outbox_emit, outbox_relay
from melmastoon_ai.tenancy.context import outbox_relay_access, tenant_context
from melmastoon_ai.webhooks import transport
from melmastoon_ai.webhooks.models import WebhookDelivery
from melmastoon_ai.webhooks.services import backoff, webhook_deliver, webhook_due, webhook_fan_out
from tests.webhooks.receiver_fake import verify

pytestmark = pytest.mark.django_db(transaction=True)
ADMIN = "/api/v1/admin/webhooks"
GATE = {"gate_id": "g-1", "status": "pending", "reason": "always reviewed by a human"}


@pytest.fixture
def publisher():
    prefix = f"test.webhooks.{threading.get_ident()}.{id(object())}."
    yield RedisStreamsPublisher(url=settings.REDIS_URL, stream_prefix=prefix)
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


@pytest.fixture
def eager(monkeypatch):
    """Tasks queued after commit run at once, in this process (Celery's eager mode)."""
    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)


@pytest.fixture
def queued(monkeypatch):
    """Tasks queued after commit are only recorded: the test runs each attempt itself."""
    from melmastoon_ai.webhooks import tasks

    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(tasks.deliver, "delay", lambda *args: sent.append(args))
    return sent


def _register(client, receiver, event_types) -> dict:
    response = client.post(ADMIN, {"url": receiver.url, "event_types": event_types}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    receiver.secret = body["secret"]
    return body


def _emit(tenant, topic="hitl.gate_opened", payload=GATE):
    with tenant_context(tenant.id):
        return outbox_emit(topic=topic, payload=payload, key=payload.get("gate_id", ""), tenant_id=tenant.id)


def _deliveries(tenant) -> list[WebhookDelivery]:
    with tenant_context(tenant.id):
        return list(WebhookDelivery.objects.order_by("created_at"))


def _make_due(tenant, delivery_id) -> None:
    with tenant_context(tenant.id):
        WebhookDelivery.objects.filter(pk=delivery_id).update(next_attempt_at=timezone.now())


def test_a_relayed_event_is_posted_signed_to_each_subscribed_endpoint_of_its_tenant(
    client_a, client_b, tenant_a, tenant_b, receiver_fake, second_receiver_fake, publisher, eager
):
    endpoint = _register(client_a, receiver_fake, ["hitl.*"])
    _register(client_a, second_receiver_fake, ["inference.completed"])  # not subscribed to hitl
    _register(client_b, second_receiver_fake, ["hitl.*"])  # another tenant's
    event = _emit(tenant_a)

    assert outbox_relay(publisher=publisher).published == 1

    assert second_receiver_fake.received == []
    [post] = receiver_fake.received
    assert post.verified and post.path == "/hooks/melmastoon"
    [delivery] = _deliveries(tenant_a)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert str(delivery.endpoint_id) == endpoint["id"] and _deliveries(tenant_b) == []
    assert post.headers["X-Melmastoon-Event"] == "hitl.gate_opened"
    assert post.headers["X-Melmastoon-Delivery"] == str(delivery.id)
    assert post.headers["X-Melmastoon-Signature"].startswith("v1=")
    # the very envelope the Pub/Sub / Redis Streams body carries
    stream = redis.Redis.from_url(settings.REDIS_URL).xrange(publisher.stream_for("hitl.gate_opened"))
    assert post.body == stream[0][1][b"event"]
    body = post.json()
    assert (body["id"], body["type"], body["version"], body["tenant_id"]) == (
        str(event.id),
        "hitl.gate_opened",
        1,
        str(tenant_a.id),
    )
    assert body["payload"] == GATE


def test_a_signature_is_refused_with_another_secret_an_altered_body_or_an_old_timestamp(
    client_a, tenant_a, receiver_fake, publisher, eager
):
    _register(client_a, receiver_fake, ["hitl.gate_opened"])
    _emit(tenant_a)
    outbox_relay(publisher=publisher)
    [post] = receiver_fake.received
    assert verify(secret=receiver_fake.secret, headers=post.headers, body=post.body)
    assert not verify(secret="whsec_other", headers=post.headers, body=post.body)
    assert not verify(secret=receiver_fake.secret, headers=post.headers, body=post.body + b" ")
    sent_at = int(post.headers["X-Melmastoon-Timestamp"])
    assert not verify(secret=receiver_fake.secret, headers=post.headers, body=post.body, now=sent_at + 301)


def _rotate(client, endpoint_id, **body) -> dict:
    response = client.post(f"{ADMIN}/{endpoint_id}/rotate-secret", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def _signatures(post) -> list[str]:
    return post.headers["X-Melmastoon-Signature"].split(",")


def test_after_a_rotation_the_old_secret_signs_next_to_the_new_one_until_its_grace_window_ends(
    client_a, tenant_a, receiver_fake, publisher, eager
):
    endpoint = _register(client_a, receiver_fake, ["hitl.gate_opened"])
    old = receiver_fake.secret
    rotated = _rotate(client_a, endpoint["id"], grace_seconds=3600)
    new = rotated["secret"]
    assert new != old and rotated["previous_secret_expires_at"] is not None

    _emit(tenant_a)
    outbox_relay(publisher=publisher)
    [post] = receiver_fake.received
    assert len(_signatures(post)) == 2
    # a receiver still on the old secret and one already on the new both accept the delivery
    assert verify(secret=old, headers=post.headers, body=post.body)
    assert verify(secret=new, headers=post.headers, body=post.body)

    with tenant_context(tenant_a.id):  # the window has passed
        type(_deliveries(tenant_a)[0].endpoint).objects.filter(pk=endpoint["id"]).update(
            previous_secret_expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
    _emit(tenant_a, payload={**GATE, "gate_id": "g-2"})
    outbox_relay(publisher=publisher)
    later = receiver_fake.received[-1]
    assert len(_signatures(later)) == 1
    assert verify(secret=new, headers=later.headers, body=later.body)
    assert not verify(secret=old, headers=later.headers, body=later.body)


def test_a_rotation_without_grace_retires_the_old_secret_at_once_and_bad_grace_is_a_400(
    client_a, tenant_a, receiver_fake, publisher, eager
):
    endpoint = _register(client_a, receiver_fake, ["hitl.gate_opened"])
    old = receiver_fake.secret
    _rotate(client_a, endpoint["id"], grace_seconds=3600)  # a window that a leak cuts short
    leaked = _rotate(client_a, endpoint["id"], grace_seconds=0)
    assert leaked["previous_secret_expires_at"] is None
    receiver_fake.secret = leaked["secret"]
    _emit(tenant_a)
    outbox_relay(publisher=publisher)
    [post] = receiver_fake.received
    assert post.verified and len(_signatures(post)) == 1
    assert not verify(secret=old, headers=post.headers, body=post.body)

    for grace in (-1, 7 * 24 * 3600 + 1, "soon"):
        response = client_a.post(f"{ADMIN}/{endpoint['id']}/rotate-secret", {"grace_seconds": grace}, format="json")
        assert response.status_code == 400, (grace, response.content)
        assert response.json()["error"]["code"] == "invalid_request"
    with tenant_context(tenant_a.id):  # a refused rotation changed nothing
        stored = type(_deliveries(tenant_a)[0].endpoint).objects.get(pk=endpoint["id"])
    assert stored.secret_hint == leaked["secret_hint"]


def test_a_rotation_with_no_body_keeps_the_old_secret_for_the_configured_window(client_a, receiver_fake, settings):
    settings.WEBHOOK_ROTATION_GRACE_SECONDS = 600
    created = _register(client_a, receiver_fake, ["hitl.*"])
    before = timezone.now()
    rotated = _rotate(client_a, created["id"])
    expires = dt.datetime.fromisoformat(rotated["previous_secret_expires_at"].replace("Z", "+00:00"))
    assert before + dt.timedelta(seconds=590) <= expires <= timezone.now() + dt.timedelta(seconds=600)


def test_fan_out_runs_under_the_relays_policy_and_a_re_relayed_event_adds_nothing(
    client_a, tenant_a, receiver_fake, queued
):
    _register(client_a, receiver_fake, ["hitl.*"])
    event = _emit(tenant_a)
    envelope = Envelope(
        id=str(event.id),
        topic=event.topic,
        key=event.key,
        tenant_id=str(tenant_a.id),
        payload=event.payload,
        created_at=event.created_at.isoformat(),
    )
    for _ in range(2):
        with outbox_relay_access():
            webhook_fan_out(envelopes=[envelope])
    assert len(_deliveries(tenant_a)) == 1


def test_a_failed_attempt_is_retried_after_backoff_and_then_delivered(
    client_a, tenant_a, receiver_fake, publisher, queued
):
    receiver_fake.answers = [500, 200]
    _register(client_a, receiver_fake, ["hitl.*"])
    _emit(tenant_a)
    outbox_relay(publisher=publisher)
    [delivery] = _deliveries(tenant_a)
    assert queued == [(str(delivery.id), str(tenant_a.id))]  # queued once, after the relay's commit

    before = timezone.now()
    assert webhook_deliver(delivery_id=delivery.id, tenant_id=tenant_a.id) == "pending"
    [failed] = _deliveries(tenant_a)
    assert (failed.attempts, failed.last_status_code, failed.last_error) == (1, 500, "HTTP 500")
    base = dt.timedelta(seconds=settings.WEBHOOK_BACKOFF_BASE_SECONDS)
    assert before + base / 2 <= failed.next_attempt_at <= timezone.now() + base
    assert webhook_deliver(delivery_id=delivery.id, tenant_id=tenant_a.id) == "skipped"  # not due yet
    assert webhook_due() == []

    _make_due(tenant_a, delivery.id)
    assert webhook_due() == [(str(delivery.id), str(tenant_a.id))]
    assert webhook_deliver(delivery_id=delivery.id, tenant_id=tenant_a.id) == "delivered"
    first, second = receiver_fake.received
    assert first.verified and second.verified and first.body == second.body
    assert first.headers["X-Melmastoon-Delivery"] == second.headers["X-Melmastoon-Delivery"] == str(delivery.id)
    [done] = _deliveries(tenant_a)
    assert (done.status, done.attempts, done.last_status_code, done.last_error) == ("delivered", 2, 200, "")
    assert webhook_deliver(delivery_id=delivery.id, tenant_id=tenant_a.id) == "skipped"  # a redelivered task
    assert len(receiver_fake.received) == 2


def test_five_failures_park_a_delivery_and_redelivery_sends_it_again(
    client_a, tenant_a, receiver_fake, publisher, queued, django_capture_on_commit_callbacks
):
    receiver_fake.answers = [500] * 5 + [204]
    endpoint = _register(client_a, receiver_fake, ["hitl.*"])
    _emit(tenant_a)
    outbox_relay(publisher=publisher)
    [delivery] = _deliveries(tenant_a)
    outcomes = []
    for _ in range(settings.WEBHOOK_MAX_ATTEMPTS):
        _make_due(tenant_a, delivery.id)
        outcomes.append(webhook_deliver(delivery_id=delivery.id, tenant_id=tenant_a.id))
    assert outcomes == ["pending"] * 4 + ["parked"]
    _make_due(tenant_a, delivery.id)
    assert webhook_deliver(delivery_id=delivery.id, tenant_id=tenant_a.id) == "skipped"
    assert len(receiver_fake.received) == 5

    parked = client_a.get(f"{ADMIN}/{endpoint['id']}/deliveries?status=parked").json()["results"]
    assert [(row["id"], row["attempts"], row["last_status_code"]) for row in parked] == [(str(delivery.id), 5, 500)]
    redelivered = client_a.post(f"{ADMIN}/{endpoint['id']}/deliveries/{delivery.id}/redeliver")
    assert redelivered.status_code == 200, redelivered.content
    assert webhook_deliver(delivery_id=delivery.id, tenant_id=tenant_a.id) == "delivered"
    assert len(receiver_fake.received) == 6


@pytest.mark.parametrize("attempts", [1, 2, 3, 4, 5, 12])
def test_backoff_grows_exponentially_with_jitter_under_a_cap(attempts):
    ceiling = min(settings.WEBHOOK_BACKOFF_BASE_SECONDS * 2 ** (attempts - 1), settings.WEBHOOK_BACKOFF_MAX_SECONDS)
    delays = {backoff(attempts).total_seconds() for _ in range(50)}
    assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
    assert len(delays) > 1  # jittered, not one fixed delay


def test_no_transaction_or_connection_is_held_while_the_receiver_answers(
    client_a, tenant_a, receiver_fake, publisher, queued, monkeypatch
):
    _register(client_a, receiver_fake, ["hitl.*"])
    _emit(tenant_a)
    outbox_relay(publisher=publisher)
    [delivery] = _deliveries(tenant_a)
    seen = []
    real_post = transport.post

    def watched_post(url, **kwargs):
        seen.append((connection.in_atomic_block, connection.connection is None))
        return real_post(url, **kwargs)

    monkeypatch.setattr(transport, "post", watched_post)
    assert webhook_deliver(delivery_id=delivery.id, tenant_id=tenant_a.id) == "delivered"
    assert seen == [(False, True)]


def test_a_redirect_is_not_followed(client_a, tenant_a, receiver_fake, second_receiver_fake, publisher, queued):
    receiver_fake.answers, receiver_fake.redirect_to = [302], second_receiver_fake.url
    _register(client_a, receiver_fake, ["hitl.*"])
    _emit(tenant_a)
    outbox_relay(publisher=publisher)
    [delivery] = _deliveries(tenant_a)
    assert webhook_deliver(delivery_id=delivery.id, tenant_id=tenant_a.id) == "pending"
    [failed] = _deliveries(tenant_a)
    assert failed.last_status_code == 302 and "redirects are not followed" in failed.last_error
    assert len(receiver_fake.received) == 1 and second_receiver_fake.received == []


def test_a_receiver_that_hangs_is_a_failed_attempt_after_the_timeout(
    client_a, tenant_a, receiver_fake, publisher, queued, settings
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    receiver_fake.stall_seconds = 3
    _register(client_a, receiver_fake, ["hitl.*"])
    _emit(tenant_a)
    outbox_relay(publisher=publisher)
    [delivery] = _deliveries(tenant_a)
    assert webhook_deliver(delivery_id=delivery.id, tenant_id=tenant_a.id) == "pending"
    [failed] = _deliveries(tenant_a)
    assert failed.last_status_code is None and "timed out" in failed.last_error and failed.attempts == 1


def test_a_url_that_became_unsafe_is_refused_at_delivery_time(
    client_a, tenant_a, receiver_fake, publisher, queued, monkeypatch
):
    """Registered when it resolved to loopback (allowed in development); by delivery time the name
    points into the private network: the attempt is refused and nothing is sent."""
    answers = {"hooks.example": [ipaddress.ip_address("127.0.0.1")]}
    monkeypatch.setattr(
        "melmastoon_ai.outbound.resolve", lambda host, port: answers.get(host) or [ipaddress.ip_address(host)]
    )
    port = receiver_fake.url.split(":")[2].split("/")[0]
    response = client_a.post(
        ADMIN, {"url": f"http://hooks.example:{port}/hooks/melmastoon", "event_types": ["hitl.*"]}, format="json"
    )
    assert response.status_code == 201, response.content
    receiver_fake.secret = response.json()["secret"]
    _emit(tenant_a, payload=GATE | {"gate_id": "g-1"})
    _emit(tenant_a, payload=GATE | {"gate_id": "g-2"})
    outbox_relay(publisher=publisher)
    first, second = _deliveries(tenant_a)

    # the connection goes to the address checked (the name itself resolves nowhere here)
    assert webhook_deliver(delivery_id=first.id, tenant_id=tenant_a.id) == "delivered"
    assert receiver_fake.received[0].headers["Host"] == f"hooks.example:{port}" and receiver_fake.received[0].verified

    answers["hooks.example"] = [ipaddress.ip_address("10.0.0.5")]
    assert webhook_deliver(delivery_id=second.id, tenant_id=tenant_a.id) == "pending"
    refused = _deliveries(tenant_a)[1]
    assert refused.last_status_code is None and "refused" in refused.last_error and "10.0.0.5" in refused.last_error
    assert len(receiver_fake.received) == 1


def test_loopback_is_refused_at_delivery_once_the_setting_is_off(
    client_a, tenant_a, receiver_fake, publisher, queued, settings
):
    _register(client_a, receiver_fake, ["hitl.*"])
    _emit(tenant_a)
    outbox_relay(publisher=publisher)
    [delivery] = _deliveries(tenant_a)
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    assert webhook_deliver(delivery_id=delivery.id, tenant_id=tenant_a.id) == "pending"
    assert "must be https" in _deliveries(tenant_a)[0].last_error and receiver_fake.received == []


def test_a_delivery_to_an_endpoint_switched_off_is_parked_unsent(client_a, tenant_a, receiver_fake, publisher, queued):
    endpoint = _register(client_a, receiver_fake, ["hitl.*"])
    _emit(tenant_a)
    outbox_relay(publisher=publisher)
    client_a.patch(f"{ADMIN}/{endpoint['id']}", {"active": False}, format="json")
    [delivery] = _deliveries(tenant_a)
    assert webhook_deliver(delivery_id=delivery.id, tenant_id=tenant_a.id) == "skipped"
    assert _deliveries(tenant_a)[0].status == "parked" and receiver_fake.received == []
    _emit(tenant_a, payload=GATE | {"gate_id": "g-2"})
    outbox_relay(publisher=publisher)
    assert len(_deliveries(tenant_a)) == 1  # an inactive endpoint gets no new deliveries


def test_opening_a_hitl_gate_ends_in_a_signed_post_without_the_guests_personal_data(
    client_a, tenant_a, catalog, receiver_fake, publisher, eager
):
    from capabilities.models import Capability

    _register(client_a, receiver_fake, ["hitl.gate_opened"])
    example = dict(
        Capability.objects.get(pk="message.draft").examples[0],
        guest_name="Layla Haddad",
        contact_phone="+44 20 7946 0958",
    )
    response = client_a.post("/api/v1/ai/complete", {"capability": "message.draft", "input": example}, format="json")
    assert response.status_code == 200, response.content[:300]
    gate_id = response.json()["hitl"]["gate_id"]

    while outbox_relay(publisher=publisher).published:
        pass

    [post] = [received for received in receiver_fake.received if received.json()["type"] == "hitl.gate_opened"]
    assert post.verified and post.json()["payload"]["gate_id"] == gate_id
    assert post.headers["X-Melmastoon-Event"] == "hitl.gate_opened"
    for personal in ("Layla", "Haddad", "+44 20 7946 0958", "7946"):
        assert personal not in post.body.decode(), personal
    assert json.loads(post.body)["tenant_id"] == str(tenant_a.id)
