"""Provider tests run against the fake provider servers (tests/fake_providers.py) and may reach
nothing but loopback."""

import pytest


@pytest.fixture(autouse=True)
def _loopback(loopback_only):
    pass
