"""The inference-request subscriber (capabilities/inference_subscriber.py) through the official
Pub/Sub client against the gRPC fake: ack only after the result is persisted, a redelivered or
duplicated request runs (and is charged) once, transient failures redelivered and dead-lettered by
the subscription's policy after 5 deliveries, bad messages dead-lettered at once with a reason."""

from __future__ import annotations

import json

import pytest

from capabilities import async_inference
from capabilities.inference_subscriber import InferenceSubscriber
from capabilities.models import AsyncInference, InferenceRecord, UsageFact
from melmastoon_ai.errors import Unavailable
from melmastoon_ai.tenancy.context import tenant_context
from tests.factories import ApiKeyFactory
from tests.outbox import conftest as outbox_fixtures
from tests.outbox.conftest import PROJECT, topic_path

pytestmark = pytest.mark.django_db
pubsub_fake, topic_prefix = outbox_fixtures.pubsub_fake, outbox_fixtures.topic_prefix  # the outbox tests' fixtures
SUBSCRIPTION = "ai-orchestrator.inference-requests"
TUTOR = {"capability": "tutor.answer", "input": {"question": "When is breakfast served?", "locale": "en"}}


@pytest.fixture
def request_topic(pubsub_fake, topic_prefix):
    from melmastoon_ai.outbox.pubsub import ensure_request_subscription

    # no retry policy: a nacked message comes back at the next pull (the backoff has its own test)
    ensure_request_subscription(
        project=PROJECT, prefix=topic_prefix, subscription=SUBSCRIPTION, minimum_backoff_seconds=0
    )
    return topic_path(topic_prefix, "commands.inference_request.v1")


@pytest.fixture
def dead_letter_topic(request_topic):
    return request_topic + ".dead_letter"


@pytest.fixture
def subscriber(request_topic, topic_prefix):
    return _subscriber(topic_prefix)


def _subscriber(prefix: str) -> InferenceSubscriber:
    subscriber = InferenceSubscriber(project=PROJECT, prefix=prefix, subscription=SUBSCRIPTION)
    subscriber.load_policy()
    return subscriber


def _subscription() -> str:
    return f"projects/{PROJECT}/subscriptions/{SUBSCRIPTION}"


def _publish(topic: str, data: bytes | dict, **attributes: str) -> str:
    from melmastoon_ai.outbox.pubsub import publisher_client

    payload = json.dumps(data).encode() if isinstance(data, dict) else data
    return publisher_client(ordered=False).publish(topic, payload, **attributes).result(timeout=10)


def _records(tenant) -> tuple[int, int]:
    with tenant_context(tenant.id):
        return InferenceRecord.objects.count(), UsageFact.objects.count()


def test_a_request_runs_the_pipeline_and_is_acked_after_the_result_is_persisted(
    tenant_a,
    key_a,
    catalog,
    subscriber,
    request_topic,
    pubsub_fake,
    client_a,
):
    _publish(request_topic, TUTOR, api_key=key_a.raw)
    (outcome,) = subscriber.run_once(timeout=5)
    assert outcome.action == "ack"
    assert pubsub_fake.outstanding(_subscription()) == 0
    done = client_a.get(f"/api/v1/ai/inferences/{outcome.inference_id}").json()
    assert (done["status"], done["capability"]) == ("completed", "tutor.answer")
    assert done["output"]["answer"]
    assert _records(tenant_a) == (1, 1)
    with tenant_context(tenant_a.id):
        assert AsyncInference.objects.get(pk=outcome.inference_id).request is None


def test_killed_before_the_ack_the_redelivered_message_is_not_run_or_charged_twice(
    tenant_a,
    key_a,
    catalog,
    subscriber,
    request_topic,
    topic_prefix,
    pubsub_fake,
):
    _publish(request_topic, TUTOR, api_key=key_a.raw)

    acked_with = []

    def killed(*args, **kwargs):  # the process dies between persisting the result and the ack
        acked_with.append(_records(tenant_a))  # what was persisted when the ack was about to go
        raise SystemExit("killed before the ack")

    subscriber._subscriber.acknowledge = killed
    with pytest.raises(SystemExit):
        subscriber.run_once(timeout=5)
    assert acked_with == [(1, 1)]  # the record and the usage fact were written before the ack
    assert pubsub_fake.outstanding(_subscription()) == 1  # not acked: Pub/Sub will redeliver it

    pubsub_fake.expire_leases(_subscription())
    calls = []
    original = async_inference.complete
    async_inference.complete = lambda *a, **k: calls.append(1) or original(*a, **k)
    try:
        (outcome,) = _subscriber(topic_prefix).run_once(timeout=5)
    finally:
        async_inference.complete = original
    assert outcome.action == "ack" and calls == []  # the pipeline did not run again
    assert _records(tenant_a) == (1, 1)
    assert pubsub_fake.outstanding(_subscription()) == 0


def test_the_same_request_published_twice_with_one_idempotency_key_runs_once(
    tenant_a,
    key_a,
    catalog,
    subscriber,
    request_topic,
    pubsub_fake,
):
    _publish(request_topic, TUTOR, api_key=key_a.raw, idempotency_key="booking-9")
    _publish(request_topic, TUTOR, api_key=key_a.raw, idempotency_key="booking-9")
    (first,) = subscriber.run_once(timeout=5)
    (second,) = subscriber.run_once(timeout=5)
    assert first.action == second.action == "ack"
    assert first.inference_id == second.inference_id
    assert _records(tenant_a) == (1, 1)
    assert pubsub_fake.outstanding(_subscription()) == 0


def test_a_message_that_keeps_failing_is_dead_lettered_after_five_deliveries(
    tenant_a,
    key_a,
    catalog,
    subscriber,
    request_topic,
    dead_letter_topic,
    pubsub_fake,
    monkeypatch,
):
    attempts = []

    def unavailable(completion, *, tenant):  # fault injection: the pipeline fails every time
        attempts.append(1)
        raise Unavailable("All providers are unavailable.")

    monkeypatch.setattr(async_inference, "complete", unavailable)
    message_id = _publish(request_topic, TUTOR, api_key=key_a.raw)
    outcomes = []
    for _ in range(7):
        outcomes += subscriber.run_once(timeout=2)
    assert [outcome.action for outcome in outcomes] == ["nack"] * 5
    assert len(attempts) == 5
    assert pubsub_fake.outstanding(_subscription()) == 0
    (forwarded,) = pubsub_fake.messages(dead_letter_topic)
    assert json.loads(forwarded.data) == TUTOR
    assert forwarded.attributes["CloudPubSubDeadLetterSourceDeliveryCount"] == "5"
    with tenant_context(tenant_a.id):
        row = AsyncInference.objects.get(pk=outcomes[0].inference_id)
    assert row.status == "failed" and row.error["code"] == "unavailable"  # the caller stops waiting
    assert message_id and _records(tenant_a) == (0, 0)


def test_a_transient_failure_is_redelivered_and_then_succeeds_once(
    tenant_a,
    key_a,
    catalog,
    subscriber,
    request_topic,
    pubsub_fake,
    monkeypatch,
):
    original, failures = async_inference.complete, [1]

    def flaky(completion, *, tenant):
        if failures:
            failures.pop()
            raise RuntimeError("connection reset")
        return original(completion, tenant=tenant)

    monkeypatch.setattr(async_inference, "complete", flaky)
    _publish(request_topic, TUTOR, api_key=key_a.raw)
    (first,) = subscriber.run_once(timeout=5)
    (second,) = subscriber.run_once(timeout=5)
    assert (first.action, second.action) == ("nack", "ack")
    assert first.inference_id == second.inference_id
    assert _records(tenant_a) == (1, 1)


@pytest.mark.parametrize(
    "data, attributes, reason",
    [
        (b"{not json", {"key": "a"}, "invalid_json"),
        (b"[1, 2]", {"key": "a"}, "invalid_json"),
        (TUTOR, {}, "unauthenticated"),
        (TUTOR, {"api_key": "mlm_abcdefgh_" + "x" * 40}, "unauthenticated"),
        (TUTOR, {"key": "invoke-less"}, "forbidden"),
        ({"capability": "tutor.answer"}, {"key": "a"}, "schema_violation"),
        (TUTOR | {"stream": True}, {"key": "a"}, "schema_violation"),
        ({"capability": "tutor.answer", "input": "When is breakfast?"}, {"key": "a"}, "schema_violation"),
        ({"capability": "tutor.answer", "input": {"question": ""}}, {"key": "a"}, "input_schema_violation"),
        ({"capability": "no.such", "input": {}}, {"key": "a"}, "unknown_capability"),
    ],
)
def test_a_bad_message_is_dead_lettered_at_once_with_a_reason_and_never_retried(
    tenant_a,
    key_a,
    catalog,
    subscriber,
    request_topic,
    dead_letter_topic,
    pubsub_fake,
    data,
    attributes,
    reason,
):
    if attributes.get("key") == "a":
        attributes = {"api_key": key_a.raw}
    elif attributes.get("key") == "invoke-less":
        attributes = {"api_key": ApiKeyFactory(tenant=tenant_a, scopes=["ai:review"]).raw}
    _publish(request_topic, data, **attributes)
    (outcome,) = subscriber.run_once(timeout=5)
    assert (outcome.action, outcome.reason) == ("dead_letter", reason)
    assert pubsub_fake.outstanding(_subscription()) == 0  # acked: never delivered again
    (dead,) = pubsub_fake.messages(dead_letter_topic)
    assert dead.attributes["reason"] == reason
    assert "breakfast" not in dead.attributes["detail"]  # what is wrong, never the request's content
    assert "api_key" not in dead.attributes  # the credential does not travel on
    assert subscriber.run_once(timeout=1) == []
    with tenant_context(tenant_a.id):
        assert not AsyncInference.objects.exists()


def test_a_suspended_tenants_request_is_dead_lettered(tenant_a, key_a, catalog, subscriber, request_topic, pubsub_fake):
    type(tenant_a).objects.filter(pk=tenant_a.pk).update(status="suspended")
    _publish(request_topic, TUTOR, api_key=key_a.raw)
    (outcome,) = subscriber.run_once(timeout=5)
    assert (outcome.action, outcome.reason) == ("dead_letter", "forbidden")


def test_the_web_process_does_not_import_the_subscriber():
    import subprocess
    import sys

    code = (
        "import django, os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'melmastoon_ai.settings.test');"
        "django.setup(); import melmastoon_ai.urls;"
        "print('capabilities.inference_subscriber' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_the_command_drains_the_subscription(
    tenant_a, key_a, catalog, request_topic, topic_prefix, pubsub_fake, settings
):
    from io import StringIO

    from django.core.management import call_command

    settings.PUBSUB_PROJECT, settings.OUTBOX_STREAM_PREFIX = PROJECT, topic_prefix
    settings.PUBSUB_REQUEST_SUBSCRIPTION = SUBSCRIPTION
    for n in range(2):
        _publish(request_topic, TUTOR, api_key=key_a.raw, idempotency_key=f"drain-{n}")
    out = StringIO()
    call_command("inference_subscriber", "--drain", "--pull-timeout", "2", stdout=out)
    assert "dead-letter after 5 deliveries" in out.getvalue() and "drained: 2 message(s)" in out.getvalue()
    assert _records(tenant_a) == (2, 2)
    assert pubsub_fake.outstanding(_subscription()) == 0


def test_a_rate_limited_request_is_nacked_for_later_and_stores_nothing(
    tenant_a, key_a, catalog, subscriber, request_topic, pubsub_fake, monkeypatch
):
    from capabilities.errors import RateLimited

    def limited(tenant, feature):  # fault injection: the tenant's limit is reached
        raise RateLimited("Rate limit of 60/min reached.")

    monkeypatch.setattr(async_inference, "check_rate_limit", limited)
    _publish(request_topic, TUTOR, api_key=key_a.raw)
    (outcome,) = subscriber.run_once(timeout=5)
    assert (outcome.action, outcome.reason) == ("nack", "rate_limited")
    assert pubsub_fake.outstanding(_subscription()) == 1  # redelivered later, not dead-lettered
    with tenant_context(tenant_a.id):
        assert not AsyncInference.objects.exists()


def test_with_the_setup_retry_policy_a_nacked_request_waits_for_its_backoff(
    tenant_a, key_a, catalog, pubsub_fake, topic_prefix, monkeypatch
):
    from melmastoon_ai.outbox.pubsub import ensure_request_subscription, subscriber_client

    ensure_request_subscription(project=PROJECT, prefix=topic_prefix, subscription=SUBSCRIPTION)
    found = subscriber_client().get_subscription(request={"subscription": _subscription()})
    assert (found.retry_policy.minimum_backoff.seconds, found.retry_policy.maximum_backoff.seconds) == (10, 600)
    assert found.dead_letter_policy.max_delivery_attempts == 5
    monkeypatch.setattr(async_inference, "complete", _always_unavailable)
    _publish(topic_path(topic_prefix, "commands.inference_request.v1"), TUTOR, api_key=key_a.raw)
    subscriber = _subscriber(topic_prefix)
    (first,) = subscriber.run_once(timeout=5)
    assert first.action == "nack"
    assert subscriber.run_once(timeout=1) == []  # not redelivered at once: it waits out its backoff
    pubsub_fake.expire_leases(_subscription())  # the backoff passed
    (second,) = subscriber.run_once(timeout=5)
    assert second.action == "nack" and second.inference_id == first.inference_id


def _always_unavailable(completion, *, tenant):
    raise Unavailable("All providers are unavailable.")
