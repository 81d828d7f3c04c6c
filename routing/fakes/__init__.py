"""Fake provider servers for tests and local development: real HTTP on 127.0.0.1, each provider's wire format.

Never used in production code paths: adapters reach them only through their base-URL settings.
`python manage.py fake_providers` runs all four and prints the environment to point at them.
"""

from routing.fakes.anthropic_server import FakeAnthropicServer
from routing.fakes.kms_server import FakeKmsServer
from routing.fakes.openai_server import FakeOpenAIServer
from routing.fakes.server import FakeProviderServer, ReceivedRequest
from routing.fakes.vertex_server import FakeVertexServer

__all__ = [
    "FakeAnthropicServer",
    "FakeKmsServer",
    "FakeOpenAIServer",
    "FakeProviderServer",
    "FakeVertexServer",
    "ReceivedRequest",
]
