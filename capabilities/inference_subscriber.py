"""The consumer of `melmastoon.ai_orchestrator.commands.inference_request.v1` (seed 000): siblings
ask for an inference over Pub/Sub instead of HTTP. Run as `manage.py inference_subscriber`, a
worker process of its own (never imported by the web process: it pulls in the Pub/Sub client).

A message is the body of `POST /api/v1/ai/complete` (JSON Schema:
melmastoon_ai/outbox/schemas/commands/inference_request.v1.json) with the tenant's API key in the
`api_key` attribute, checked exactly as the HTTP path checks it (`api_key_principal`, scope
`ai:invoke`). It runs the async-inference pipeline of capabilities/async_inference.py: accepted
as an `AsyncInference` row keyed by the `idempotency_key` attribute or, without one,
`pubsub:<message id>`, then run here, in this process, with that row's id as the inference id.
The answer is `GET /api/v1/ai/inferences/{id}` and the `inference.completed` / `inference.failed`
event (which carries the id).

What happens to a message (`handle_request`):
- ack: the result (completed, or failed with the request's own error: blocked content, a spent
  budget) is persisted; only then. A redelivered message finds its row (the same idempotency key)
  and its record: nothing runs or is charged twice; it is acked.
- nack (ModifyAckDeadline 0, redelivered): a failure that may pass (the rate limit, a 5xx error,
  an unexpected exception); the request stays pending. On the subscription's last delivery
  (`delivery_attempt` = the dead-letter policy's `max_delivery_attempts`, 5) the request is
  failed instead and the message nacked once more: Pub/Sub forwards it to the dead-letter topic.
- dead-letter at once (published by this process to `<request topic>.dead_letter` with a
  `reason` attribute, then acked; never retried): invalid JSON, a schema violation, no or an
  unknown / revoked key, a suspended tenant, a key without `ai:invoke`, an unknown capability or
  input its schema refuses. The `api_key` attribute is not copied to the dead-letter message.

Synchronous pull, one message at a time: the lease is extended to the async run's lease (Pub/Sub
allows 600 s) before the pipeline runs, so a slow provider does not get the message redelivered
to another worker meanwhile (and if it were, the row's claim keeps the second worker out).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.db import close_old_connections
from jsonschema import Draft202012Validator
from rest_framework import exceptions as drf

from capabilities.apis import cache_directives
from capabilities.async_inference import (
    RETRY,
    async_inference_abandon,
    async_inference_accept,
    async_inference_find,
    async_inference_run,
)
from capabilities.models import AsyncInference
from capabilities.pipeline import CompletionRequest
from capabilities.serializers_inference import CompletionContextSerializer, CompletionInputSerializer
from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.observability.context import bind_request_id, new_request_id, unbind_request_id
from melmastoon_ai.outbox import catalog
from melmastoon_ai.tenancy.authentication import api_key_principal

logger = logging.getLogger(__name__)

SCHEMA_PATH = catalog.SCHEMA_DIR / "commands" / "inference_request.v1.json"
LEASE_SECONDS = 600  # Pub/Sub's longest ack deadline; the async run's own lease is 10 minutes
DEFAULT_MAX_DELIVERY_ATTEMPTS = 5  # seed 000; the subscription's dead-letter policy says it


class Action:
    ACK = "ack"
    NACK = "nack"
    DEAD_LETTER = "dead_letter"


@dataclass(frozen=True)
class Outcome:
    action: str
    reason: str = ""  # a dead-letter message's `reason` attribute
    inference_id: str = ""
    detail: str = ""  # for the dead-letter message's `detail` attribute: no request content


@dataclass
class Message:
    """What the handler needs of a received Pub/Sub message."""

    data: bytes
    attributes: Mapping[str, str]
    message_id: str
    delivery_attempt: int = 0  # 0: the subscription has no dead-letter policy


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(Path(SCHEMA_PATH).read_text()))


def _bad(reason: str, detail: str = "") -> Outcome:
    return Outcome(Action.DEAD_LETTER, reason=reason, detail=detail[:500])


def _completion(body: dict, message: Message) -> CompletionRequest | Outcome:
    """The pipeline's request, checked as POST /complete checks its body; or why it is refused."""
    # where and which rule, never the value (the input may hold a guest's personal data)
    errors = [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.validator}"
        for error in _validator().iter_errors(body)
    ]
    if errors:
        return _bad("schema_violation", "; ".join(errors))
    data = CompletionInputSerializer(data=body)
    if not data.is_valid():
        return _bad("schema_violation", "fields: " + ", ".join(sorted(data.errors)))
    values = data.validated_data
    key = message.attributes.get("idempotency_key") or f"pubsub:{message.message_id}"
    if len(key) > 200:
        return _bad("schema_violation", "idempotency_key is longer than 200 characters")
    return CompletionRequest(
        capability=values["capability"],
        input=values["input"],
        context=dict(values.get("context") or CompletionContextSerializer({}).data),
        request_id=new_request_id(body.get("request_id")),
        idempotency_key=key,
        **cache_directives(message.attributes.get("cache_control", "")),
    )


def handle_request(message: Message, *, max_delivery_attempts: int = DEFAULT_MAX_DELIVERY_ATTEMPTS) -> Outcome:
    """What to do with one delivery of an inference request (see the module doc)."""
    try:
        body = json.loads(message.data)
    except (UnicodeDecodeError, ValueError):
        return _bad("invalid_json")
    if not isinstance(body, dict):
        return _bad("invalid_json", "the data is not a JSON object")
    try:
        principal = api_key_principal(message.attributes.get("api_key", ""))
    except drf.AuthenticationFailed as exc:
        return _bad("unauthenticated", str(exc.detail))
    except drf.PermissionDenied as exc:
        return _bad("forbidden", str(exc.detail))
    if not principal.has_scope("ai:invoke"):
        return _bad("forbidden", "the API key lacks scope ai:invoke")
    completion = _completion(body, message)
    if isinstance(completion, Outcome):
        return completion
    token = bind_request_id(completion.request_id)
    try:
        return _run(completion, principal.tenant, message, max_delivery_attempts)
    finally:
        unbind_request_id(token)


def _run(completion: CompletionRequest, tenant, message: Message, max_delivery_attempts: int) -> Outcome:
    # A redelivery finds its row before anything counts against the rate limit again.
    row = async_inference_find(tenant_id=tenant.id, idempotency_key=completion.idempotency_key or "")
    if row is None:
        try:
            row, _created = async_inference_accept(completion=completion, tenant=tenant)
        except ApplicationError as exc:
            if exc.status >= 500 or exc.status == 429:  # the rate limit, the database: it may pass
                return Outcome(Action.NACK, reason=exc.code)
            return _bad(exc.code, exc.message)
    inference_id = str(row.id)
    if row.status in (AsyncInference.Status.COMPLETED, AsyncInference.Status.FAILED):
        return Outcome(Action.ACK, inference_id=inference_id)  # a redelivery: persisted already
    status = async_inference_run(tenant_id=tenant.id, async_id=row.id, retry_on_error=True)
    if status == "skipped":  # another worker holds it: its outcome decides; look again later
        return Outcome(Action.NACK, reason="running_elsewhere", inference_id=inference_id)
    if status == RETRY:
        if message.delivery_attempt and message.delivery_attempt >= max_delivery_attempts:
            # The last delivery: the request is failed (the caller polling it stops waiting) and
            # the message nacked once more, which makes Pub/Sub forward it to the dead-letter topic.
            async_inference_abandon(tenant_id=tenant.id, async_id=row.id)
        return Outcome(Action.NACK, reason="retry", inference_id=inference_id)
    return Outcome(Action.ACK, inference_id=inference_id)


class InferenceSubscriber:
    """The pull loop over the request subscription, through the official client."""

    def __init__(self, *, project: str, prefix: str, subscription: str, client=None, publisher=None) -> None:
        from melmastoon_ai.outbox.pubsub import publisher_client, subscriber_client

        self._subscriber = client or subscriber_client()
        self._publisher = publisher or publisher_client(ordered=False)
        self.subscription_path = self._subscriber.subscription_path(project, subscription)
        self.dead_letter_topic = self._publisher.topic_path(
            project, prefix + catalog.COMMAND_TOPIC_SUFFIX + catalog.DEAD_LETTER_SUFFIX
        )
        self.max_delivery_attempts = DEFAULT_MAX_DELIVERY_ATTEMPTS
        self.stopping = threading.Event()

    def load_policy(self) -> None:
        """The subscription's dead-letter policy says after how many deliveries Pub/Sub forwards."""
        found = self._subscriber.get_subscription(request={"subscription": self.subscription_path})
        if found.dead_letter_policy.dead_letter_topic:
            self.max_delivery_attempts = found.dead_letter_policy.max_delivery_attempts or DEFAULT_MAX_DELIVERY_ATTEMPTS

    def run_once(self, *, timeout: float = 10.0) -> list[Outcome]:
        """One pull (at most one message) and its handling; the outcomes (empty: nothing waiting)."""
        response = self._subscriber.pull(
            request={"subscription": self.subscription_path, "max_messages": 1}, timeout=timeout
        )
        outcomes = []
        for received in response.received_messages:
            outcomes.append(self._handle(received))
        return outcomes

    def run_forever(self, *, timeout: float = 10.0) -> None:
        from google.api_core import exceptions as google_exceptions

        self.load_policy()
        while not self.stopping.is_set():
            close_old_connections()  # a long-lived worker: drop a connection the database closed
            try:
                if not self.run_once(timeout=timeout):
                    self.stopping.wait(0.5)
            except (google_exceptions.GoogleAPICallError, google_exceptions.RetryError) as exc:
                logger.warning("inference subscriber: pull failed", extra={"error_class": type(exc).__name__})
                self.stopping.wait(2.0)

    def _handle(self, received) -> Outcome:
        message = Message(
            data=received.message.data,
            attributes=dict(received.message.attributes),
            message_id=received.message.message_id,
            delivery_attempt=received.delivery_attempt,
        )
        self._modify(received.ack_id, LEASE_SECONDS)
        try:
            outcome = handle_request(message, max_delivery_attempts=self.max_delivery_attempts)
        except Exception as exc:  # the database gone, a bug: redelivered, dead-lettered after 5
            logger.exception(
                "inference subscriber: handling failed",
                extra={"message_id": message.message_id, "error_class": type(exc).__name__},
            )
            outcome = Outcome(Action.NACK, reason="internal_error")
        if outcome.action == Action.DEAD_LETTER:
            try:
                self._dead_letter(message, outcome)
            except Exception as exc:  # the dead-letter topic unreachable: keep the message
                logger.warning(
                    "inference subscriber: dead-letter publish failed",
                    extra={"message_id": message.message_id, "error_class": type(exc).__name__},
                )
                self._modify(received.ack_id, 0)
                return Outcome(Action.NACK, reason=outcome.reason)
        if outcome.action == Action.NACK:
            self._modify(received.ack_id, 0)
        else:
            self._subscriber.acknowledge(request={"subscription": self.subscription_path, "ack_ids": [received.ack_id]})
        logger.info(
            "inference request handled",
            extra={
                "message_id": message.message_id,
                "delivery_attempt": message.delivery_attempt,
                "action": outcome.action,
                "reason": outcome.reason,
                "inference_id": outcome.inference_id,
            },
        )
        return outcome

    def _modify(self, ack_id: str, seconds: int) -> None:
        self._subscriber.modify_ack_deadline(
            request={"subscription": self.subscription_path, "ack_ids": [ack_id], "ack_deadline_seconds": seconds}
        )

    def _dead_letter(self, message: Message, outcome: Outcome) -> None:
        attributes = {name: value for name, value in message.attributes.items() if name != "api_key"}
        attributes |= {
            "reason": outcome.reason,
            "detail": outcome.detail,
            "source_message_id": message.message_id,
            "source_subscription": self.subscription_path,
        }
        future = self._publisher.publish(self.dead_letter_topic, message.data, retry=None, timeout=10, **attributes)
        future.result(timeout=11)
