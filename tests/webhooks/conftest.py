from __future__ import annotations

import pytest

from tests.webhooks.receiver_fake import FakeWebhookReceiver


@pytest.fixture
def receiver_fake():
    fake = FakeWebhookReceiver().start()
    yield fake
    fake.stop()


@pytest.fixture
def second_receiver_fake():
    fake = FakeWebhookReceiver().start()
    yield fake
    fake.stop()
