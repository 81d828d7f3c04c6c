"""A fake Pub/Sub server: gRPC on 127.0.0.1 speaking google.pubsub.v1 as the emulator does.

The official client reaches it through `PUBSUB_EMULATOR_HOST=127.0.0.1:<port>`. It implements the
Publisher service (CreateTopic, GetTopic, DeleteTopic, Publish) and the Subscriber service's
synchronous pull (CreateSubscription, GetSubscription, DeleteSubscription, Pull, Acknowledge,
ModifyAckDeadline), with the real service's semantics the project relies on:

- publishing to a topic that does not exist is NOT_FOUND; creating one twice is ALREADY_EXISTS;
- a message goes to every subscription of its topic; a pulled message is leased for the
  subscription's ack deadline, redelivered after it, or after ModifyAckDeadline 0 (a nack) at once
  or, with a retry policy, after its exponential backoff (minimum doubled per delivery, capped);
- with a dead-letter policy, `delivery_attempt` counts deliveries and a message delivered
  `max_delivery_attempts` times without an ack is forwarded to the dead-letter topic, with the
  `CloudPubSubDeadLetterSource*` attributes the real service adds.

Built from the message types that ship in google-cloud-pubsub (`google.pubsub_v1.types`), with
grpcio generic handlers. Tests script it: `delay_seconds` per Publish, `ack_delay_seconds` per Acknowledge (an ack whose
caller is gone by then is not applied, as one that never arrived), `fail_next(n, code)`, and
`stop()` / `start()` on the same port for "down, then back".
"""

from __future__ import annotations

import itertools
import threading
import time
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import empty_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from google.pubsub_v1 import types

LOOPBACK = "127.0.0.1"


@dataclass
class _Delivery:
    message: Any  # PubsubMessage (protobuf)
    attempts: int = 0
    leased_until: float = 0.0
    ack_id: str = ""


@dataclass
class _Subscription:
    proto: Any  # Subscription (protobuf)
    pending: dict[str, _Delivery] = field(default_factory=dict)  # message id -> delivery

    def backoff_seconds(self, attempts: int) -> float:
        """How long a nacked message waits before its redelivery: none without a retry policy,
        else the minimum backoff doubled per delivery so far, at most the maximum."""
        policy = self.proto.retry_policy
        low = policy.minimum_backoff.seconds + policy.minimum_backoff.nanos / 1e9
        if not low:
            return 0.0
        high = (policy.maximum_backoff.seconds + policy.maximum_backoff.nanos / 1e9) or 600.0
        return min(low * 2 ** max(attempts - 1, 0), high)

    @property
    def max_attempts(self) -> int:
        policy = self.proto.dead_letter_policy
        return policy.max_delivery_attempts if policy.dead_letter_topic else 0


class FakePubSubServer:
    def __init__(self, *, host: str = LOOPBACK, port: int = 0) -> None:
        self.host, self.port = host, port
        self.delay_seconds = 0.0
        self._lock = threading.RLock()
        self._topics: dict[str, object] = {}
        self._published: dict[str, list[object]] = {}  # topic -> every message published to it
        self._subscriptions: dict[str, _Subscription] = {}
        self._ids = itertools.count(1)
        self._failures: list[grpc.StatusCode] = []
        self.publish_calls = 0
        self.in_flight = 0  # Publish calls received and not answered yet
        self.ack_delay_seconds = 0.0
        self.acks_in_flight = 0  # Acknowledge calls received and not applied yet
        self._server: grpc.Server | None = None

    # --- lifecycle ----------------------------------------------------------------------------
    @property
    def emulator_host(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> FakePubSubServer:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        server.add_generic_rpc_handlers((self._publisher_handler(), self._subscriber_handler()))
        bound = server.add_insecure_port(f"{self.host}:{self.port}")
        if not bound:
            raise OSError(f"cannot listen on {self.host}:{self.port}")
        self.port = bound
        server.start()
        self._server = server
        return self

    def stop(self) -> None:
        """Close the port (state is kept: `start()` again serves the same topics and messages)."""
        if self._server is not None:
            self._server.stop(grace=None).wait()
            self._server = None

    def __enter__(self) -> FakePubSubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what tests read and script -------------------------------------------------------------
    def fail_next(self, times: int, code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE) -> None:
        with self._lock:
            self._failures.extend([code] * times)

    def messages(self, topic: str) -> list[types.PubsubMessage]:
        with self._lock:
            return [types.PubsubMessage.wrap(message) for message in self._published.get(topic, [])]

    def topics(self) -> list[str]:
        with self._lock:
            return sorted(self._topics)

    # --- the Publisher service -------------------------------------------------------------------
    def _publisher_handler(self) -> grpc.GenericRpcHandler:
        return grpc.method_handlers_generic_handler(
            "google.pubsub.v1.Publisher",
            {
                "CreateTopic": _unary(self.create_topic, types.Topic, types.Topic),
                "GetTopic": _unary(self.get_topic, types.GetTopicRequest, types.Topic),
                "DeleteTopic": _unary(self.delete_topic, types.DeleteTopicRequest, None),
                "Publish": _unary(self.publish, types.PublishRequest, types.PublishResponse),
            },
        )

    def create_topic(self, request, context):
        with self._lock:
            if request.name in self._topics:
                context.abort(grpc.StatusCode.ALREADY_EXISTS, "Topic already exists")
            self._topics[request.name] = request
            self._published.setdefault(request.name, [])
            return request

    def get_topic(self, request, context):
        with self._lock:
            if request.topic not in self._topics:
                context.abort(grpc.StatusCode.NOT_FOUND, "Topic not found")
            return self._topics[request.topic]

    def delete_topic(self, request, context):
        with self._lock:
            self._topics.pop(request.topic, None)
        return empty_pb2.Empty()

    def publish(self, request, context):
        with self._lock:
            self.in_flight += 1
        try:
            if self.delay_seconds:
                time.sleep(self.delay_seconds)
            return self._publish(request, context)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _publish(self, request, context):
        with self._lock:
            self.publish_calls += 1
            if self._failures:
                context.abort(self._failures.pop(0), "scripted failure")
            if request.topic not in self._topics:
                context.abort(grpc.StatusCode.NOT_FOUND, "Topic not found")
            ids = [self._deliver(request.topic, message) for message in request.messages]
        return types.PublishResponse.pb()(message_ids=ids)

    def _deliver(self, topic: str, message) -> str:
        stamped = type(message)()
        stamped.CopyFrom(message)
        stamped.message_id = str(next(self._ids))
        now = Timestamp()
        now.GetCurrentTime()
        stamped.publish_time.CopyFrom(now)
        self._published.setdefault(topic, []).append(stamped)
        for subscription in self._subscriptions.values():
            if subscription.proto.topic == topic:
                subscription.pending[stamped.message_id] = _Delivery(message=stamped)
        return stamped.message_id

    # --- the Subscriber service (synchronous pull) -----------------------------------------------
    def _subscriber_handler(self) -> grpc.GenericRpcHandler:
        return grpc.method_handlers_generic_handler(
            "google.pubsub.v1.Subscriber",
            {
                "CreateSubscription": _unary(self.create_subscription, types.Subscription, types.Subscription),
                "GetSubscription": _unary(self.get_subscription, types.GetSubscriptionRequest, types.Subscription),
                "DeleteSubscription": _unary(self.delete_subscription, types.DeleteSubscriptionRequest, None),
                "Pull": _unary(self.pull, types.PullRequest, types.PullResponse),
                "Acknowledge": _unary(self.acknowledge, types.AcknowledgeRequest, None),
                "ModifyAckDeadline": _unary(self.modify_ack_deadline, types.ModifyAckDeadlineRequest, None),
            },
        )

    def create_subscription(self, request, context):
        with self._lock:
            if request.name in self._subscriptions:
                context.abort(grpc.StatusCode.ALREADY_EXISTS, "Subscription already exists")
            if request.topic not in self._topics:
                context.abort(grpc.StatusCode.NOT_FOUND, "Topic not found")
            if not request.ack_deadline_seconds:
                request.ack_deadline_seconds = 10
            self._subscriptions[request.name] = _Subscription(proto=request)
            return request

    def get_subscription(self, request, context):
        with self._lock:
            if request.subscription not in self._subscriptions:
                context.abort(grpc.StatusCode.NOT_FOUND, "Subscription not found")
            return self._subscriptions[request.subscription].proto

    def delete_subscription(self, request, context):
        with self._lock:
            self._subscriptions.pop(request.subscription, None)
        return empty_pb2.Empty()

    def _subscription(self, name: str, context) -> _Subscription:
        if name not in self._subscriptions:
            context.abort(grpc.StatusCode.NOT_FOUND, "Subscription not found")  # raises
        return self._subscriptions[name]

    def pull(self, request, context):
        response = types.PullResponse.pb()()
        with self._lock:
            subscription = self._subscription(request.subscription, context)
            now = time.monotonic()
            for message_id, delivery in list(subscription.pending.items()):
                if len(response.received_messages) >= max(request.max_messages, 1):
                    break
                if delivery.leased_until > now:
                    continue
                limit = subscription.max_attempts
                if limit and delivery.attempts >= limit:
                    del subscription.pending[message_id]
                    dead_letter = subscription.proto.dead_letter_policy.dead_letter_topic
                    if dead_letter in self._topics:
                        self._deliver(dead_letter, _forwarded(delivery, subscription))
                    continue
                delivery.attempts += 1
                delivery.leased_until = now + subscription.proto.ack_deadline_seconds
                delivery.ack_id = f"{message_id}-{delivery.attempts}"
                received = response.received_messages.add(ack_id=delivery.ack_id)
                received.message.CopyFrom(delivery.message)
                if limit:
                    received.delivery_attempt = delivery.attempts
        return response

    def acknowledge(self, request, context):
        with self._lock:
            self.acks_in_flight += 1
        try:
            if self.ack_delay_seconds:
                time.sleep(self.ack_delay_seconds)
            if not context.is_active():  # the subscriber died before the ack reached the service
                return empty_pb2.Empty()
        finally:
            with self._lock:
                self.acks_in_flight -= 1
        with self._lock:
            subscription = self._subscription(request.subscription, context)
            acked = set(request.ack_ids)
            for message_id, delivery in list(subscription.pending.items()):
                if delivery.ack_id in acked:
                    del subscription.pending[message_id]
        return empty_pb2.Empty()

    def modify_ack_deadline(self, request, context):
        with self._lock:
            subscription = self._subscription(request.subscription, context)
            ack_ids = set(request.ack_ids)
            for delivery in subscription.pending.values():
                if delivery.ack_id in ack_ids:
                    seconds = request.ack_deadline_seconds or subscription.backoff_seconds(delivery.attempts)
                    delivery.leased_until = time.monotonic() + seconds
        return empty_pb2.Empty()

    def outstanding(self, subscription: str) -> int:
        with self._lock:
            return len(self._subscriptions[subscription].pending)

    def expire_leases(self, subscription: str) -> None:
        """As if every lease of the subscription ran out (its holder died): the next Pull
        redelivers the unacked messages."""
        with self._lock:
            for delivery in self._subscriptions[subscription].pending.values():
                delivery.leased_until = 0.0


def _forwarded(delivery: _Delivery, subscription: _Subscription):
    """The message as Pub/Sub forwards it to a dead-letter topic: its data and attributes, and the
    attributes the real service adds (source subscription, delivery count)."""
    forwarded = type(delivery.message)()
    forwarded.CopyFrom(delivery.message)
    forwarded.attributes["CloudPubSubDeadLetterSourceSubscription"] = subscription.proto.name.rsplit("/", 1)[-1]
    forwarded.attributes["CloudPubSubDeadLetterSourceSubscriptionProject"] = subscription.proto.name.split("/")[1]
    forwarded.attributes["CloudPubSubDeadLetterSourceDeliveryCount"] = str(delivery.attempts)
    forwarded.attributes["CloudPubSubDeadLetterSourceTopicPublishTime"] = delivery.message.publish_time.ToJsonString()
    return forwarded


def _unary(handler, request_type, response_type) -> grpc.RpcMethodHandler:
    return grpc.unary_unary_rpc_method_handler(
        handler,
        request_deserializer=request_type.pb().FromString,
        response_serializer=lambda message: message.SerializeToString(),
    )
