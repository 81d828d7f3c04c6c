"""Fake provider servers for any test that asks for them: one per session, reset around each test.
Registered for the whole suite by `pytest_plugins` in tests/conftest.py.

Adapters are built with explicit configurations pointing at the fakes; `providers_from_settings`
instead points the Django settings at them, so `adapter_for(kind)` builds them through
`from_settings()` as the router does.
"""

from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest

from routing.fakes import FakeAnthropicServer, FakeOpenAIServer, FakeVertexServer
from routing.fakes.documentai_server import FakeDocumentAiServer
from routing.fakes.gcs_server import FakeGcsServer
from routing.fakes.speech_server import FakeSpeechServer
from routing.fakes.translation_server import FakeTranslationServer
from routing.fakes.vision_server import FakeVisionServer
from routing.providers.registry import adapter_for
from tests.routing.providers.support import FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, FAKE_PROJECT, FAKE_VERTEX_TOKEN


@pytest.fixture(scope="session", autouse=True)
def _provider_sdks_imported():
    """As a server does at start (melmastoon_ai/serving.py): the SDKs are imported before any
    request, so no test's deadline is spent importing one (`import anthropic` takes about a second)."""
    from routing.providers.registry import import_adapters

    import_adapters()


@pytest.fixture(scope="session")
def _openai_server():
    with FakeOpenAIServer(hang_seconds=10) as server:
        yield server


@pytest.fixture(scope="session")
def _anthropic_server():
    with FakeAnthropicServer(hang_seconds=10) as server:
        yield server


@pytest.fixture(scope="session")
def _vertex_server():
    with FakeVertexServer(hang_seconds=10) as server:
        yield server


@pytest.fixture
def openai_fake(_openai_server):
    _openai_server.reset()
    yield _openai_server
    _openai_server.reset()


@pytest.fixture
def anthropic_fake(_anthropic_server):
    _anthropic_server.reset()
    yield _anthropic_server
    _anthropic_server.reset()


@pytest.fixture
def vertex_fake(_vertex_server):
    _vertex_server.reset()
    yield _vertex_server
    _vertex_server.reset()


@pytest.fixture
def providers_from_settings(settings, openai_fake, anthropic_fake, vertex_fake):
    settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL = FAKE_OPENAI_KEY, f"{openai_fake.base_url}/v1"
    settings.ANTHROPIC_API_KEY, settings.ANTHROPIC_BASE_URL = FAKE_ANTHROPIC_KEY, anthropic_fake.base_url
    settings.VERTEX_PROJECT, settings.VERTEX_LOCATION = FAKE_PROJECT, "europe-west1"
    settings.VERTEX_BASE_URL, settings.VERTEX_ACCESS_TOKEN = vertex_fake.base_url, FAKE_VERTEX_TOKEN
    settings.VERTEX_ANTHROPIC = False
    adapter_for.cache_clear()
    yield settings
    adapter_for.cache_clear()


FAKE_GOOGLE_TOKEN = "fake-google-cloud-token"
FAKE_PROCESSOR = "projects/fake-project/locations/eu/processors/fake-id-parser"
MEDIA_BUCKET = "melmastoon-guest-docs"


@pytest.fixture(scope="session")
def _google_cloud_servers():
    servers = {
        "documentai": FakeDocumentAiServer(hang_seconds=10),
        "speech": FakeSpeechServer(hang_seconds=10),
        "translation": FakeTranslationServer(hang_seconds=10),
        "vision": FakeVisionServer(hang_seconds=10),
        "gcs": FakeGcsServer(hang_seconds=10),
    }
    for server in servers.values():
        server.start()
    yield SimpleNamespace(**servers)
    for server in servers.values():
        server.stop()


@pytest.fixture
def google_cloud_fakes(_google_cloud_servers):
    """The fake Document AI, Speech-to-Text, Cloud Translation, Cloud Vision and Cloud Storage."""
    servers = vars(_google_cloud_servers).values()
    for server in servers:
        server.reset()
    _google_cloud_servers.gcs.clear()
    yield _google_cloud_servers
    for server in servers:
        server.reset()


@pytest.fixture
def google_cloud_from_settings(settings, google_cloud_fakes):
    """The Django settings pointed at the Google Cloud fakes, as `adapter_for` builds the adapters."""
    settings.GOOGLE_CLOUD_ACCESS_TOKEN = FAKE_GOOGLE_TOKEN
    settings.DOCUMENT_AI_PROCESSOR = FAKE_PROCESSOR
    settings.DOCUMENT_AI_ENDPOINT = google_cloud_fakes.documentai.base_url
    settings.SPEECH_LOCATION, settings.SPEECH_ENDPOINT = "eu", google_cloud_fakes.speech.base_url
    settings.TRANSLATION_PROJECT, settings.TRANSLATION_LOCATION = "fake-project", "europe-west1"
    settings.TRANSLATION_ENDPOINT = google_cloud_fakes.translation.base_url
    settings.VISION_LOCATION, settings.VISION_ENDPOINT = "eu", google_cloud_fakes.vision.base_url
    settings.GCS_PROJECT, settings.GCS_ENDPOINT = "fake-project", google_cloud_fakes.gcs.base_url
    settings.MEDIA_GCS_BUCKETS = [MEDIA_BUCKET]
    adapter_for.cache_clear()
    yield settings
    adapter_for.cache_clear()


@pytest.fixture
def loopback_only(monkeypatch):
    """Nothing in the test may reach the internet: only loopback connections are allowed. Test
    folders that talk to the fakes make it autouse in their conftest."""
    real_connect = socket.socket.connect

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in ("127.0.0.1", "::1", "localhost"):
            raise AssertionError(f"a provider test tried to reach {address[0]}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
