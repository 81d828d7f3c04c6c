"""The Pub/Sub fake for the outbox tests: a gRPC server on 127.0.0.1, reached by the official
client through PUBSUB_EMULATOR_HOST, as it would reach the emulator."""

from __future__ import annotations

import uuid

import pytest

from melmastoon_ai.outbox.pubsub_fake import FakePubSubServer

PROJECT = "fake-project"


@pytest.fixture
def pubsub_fake(monkeypatch):
    fake = FakePubSubServer().start()
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", fake.emulator_host)
    yield fake
    fake.stop()


@pytest.fixture
def topic_prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}.melmastoon.ai_orchestrator."


@pytest.fixture
def pubsub_publisher(pubsub_fake, topic_prefix):
    from melmastoon_ai.outbox.pubsub import PubSubPublisher

    publisher = PubSubPublisher(project=PROJECT, stream_prefix=topic_prefix, timeout_seconds=2)
    publisher.ensure_topics()
    return publisher


def topic_path(prefix: str, suffix: str) -> str:
    return f"projects/{PROJECT}/topics/{prefix}{suffix}"
