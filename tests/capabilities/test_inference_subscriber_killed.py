"""A real subscriber process (`manage.py inference_subscriber`) SIGKILLed while it acknowledges a
request whose result it had persisted: the message is redelivered, and the next subscriber acks it
without running or charging the request again; every request answered exactly once."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from capabilities.models import AsyncInference, InferenceRecord, UsageFact
from melmastoon_ai.tenancy.context import tenant_context
from tests.e2e.conftest import BIN, ROOT, service_env
from tests.factories import ApiKeyFactory, TenantFactory
from tests.outbox import conftest as outbox_fixtures
from tests.outbox.conftest import PROJECT, topic_path

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
pubsub_fake, topic_prefix = outbox_fixtures.pubsub_fake, outbox_fixtures.topic_prefix
SUBSCRIPTION = "ai-orchestrator.inference-requests"
REQUESTS = 3
TUTOR = {"capability": "tutor.answer", "input": {"question": "When is breakfast served?", "locale": "en"}}


def _wait_for(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _subscriber(pubsub_fake, topic_prefix: str, *args: str) -> subprocess.Popen:
    env = service_env(
        PUBSUB_PROJECT=PROJECT,
        PUBSUB_EMULATOR_HOST=pubsub_fake.emulator_host,
        OUTBOX_STREAM_PREFIX=topic_prefix,
        PUBSUB_REQUEST_SUBSCRIPTION=SUBSCRIPTION,
    )
    return subprocess.Popen(
        [str(BIN / "python"), "manage.py", "inference_subscriber", "--pull-timeout", "2", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _counts(tenant) -> tuple[int, int, int]:
    with tenant_context(tenant.id):
        return AsyncInference.objects.count(), InferenceRecord.objects.count(), UsageFact.objects.count()


def test_a_subscriber_killed_before_its_ack_charges_nothing_twice(catalog, pubsub_fake, topic_prefix):
    from melmastoon_ai.outbox.pubsub import ensure_request_subscription, publisher_client

    tenant = TenantFactory(rate_limit_per_minute=10_000)
    key = ApiKeyFactory(tenant=tenant, scopes=["ai:invoke"])
    ensure_request_subscription(project=PROJECT, prefix=topic_prefix, subscription=SUBSCRIPTION)
    topic = topic_path(topic_prefix, "commands.inference_request.v1")
    publisher = publisher_client(ordered=False)
    for n in range(REQUESTS):
        publisher.publish(topic, json.dumps(TUTOR).encode(), api_key=key.raw, idempotency_key=f"k{n}").result(10)
    subscription = f"projects/{PROJECT}/subscriptions/{SUBSCRIPTION}"

    pubsub_fake.ack_delay_seconds = 3.0  # each ack slow: the kill lands while one is on its way
    process = _subscriber(pubsub_fake, topic_prefix)
    try:
        _wait_for(lambda: pubsub_fake.acks_in_flight > 0, timeout=180, what="a first ack on its way")
        persisted_at_kill = _counts(tenant)
        process.kill()  # SIGKILL: the ack never arrives
        process.wait(15)
    finally:
        if process.poll() is None:
            process.kill()
    assert persisted_at_kill[1:] == (1, 1)  # the first request's record and usage fact, before its ack
    time.sleep(0.5)
    assert pubsub_fake.outstanding(subscription) == REQUESTS  # the ack was lost with the process

    pubsub_fake.ack_delay_seconds = 0.0
    pubsub_fake.expire_leases(subscription)  # as Pub/Sub does once the dead holder's lease runs out
    drain = _subscriber(pubsub_fake, topic_prefix, "--drain")
    assert drain.wait(300) == 0
    assert pubsub_fake.outstanding(subscription) == 0
    assert _counts(tenant) == (REQUESTS, REQUESTS, REQUESTS)  # each request run and charged once
    with tenant_context(tenant.id):
        assert set(AsyncInference.objects.values_list("status", flat=True)) == {"completed"}
    assert pubsub_fake.messages(topic + ".dead_letter") == []
