"""Run the fake provider servers (OpenAI, Anthropic, Vertex AI, Cloud KMS) until Ctrl-C.

Prints the environment that points the service at them; nothing leaves 127.0.0.1 by default.
"""

from __future__ import annotations

import threading

from django.core.management.base import BaseCommand, CommandParser

from routing.fakes import FakeAnthropicServer, FakeKmsServer, FakeOpenAIServer, FakeVertexServer
from routing.fakes.server import LOOPBACK, FakeProviderServer

FAKE_PROJECT = "fake-project"
FAKE_KEY_VERSION = (f"projects/{FAKE_PROJECT}/locations/europe-west1/keyRings/melmastoon/cryptoKeys/manifests"
                    "/cryptoKeyVersions/1")


def environment(openai: FakeProviderServer, anthropic: FakeProviderServer,
                vertex: FakeProviderServer) -> dict[str, str]:
    """The variables of API.md that point the service at the fakes."""
    return {
        "OPENAI_BASE_URL": f"{openai.base_url}/v1",
        "OPENAI_API_KEY": "sk-fake-openai",
        "ANTHROPIC_BASE_URL": anthropic.base_url,
        "ANTHROPIC_API_KEY": "sk-ant-fake",
        "VERTEX_BASE_URL": vertex.base_url,
        "VERTEX_PROJECT": FAKE_PROJECT,
        "VERTEX_LOCATION": "europe-west1",
        "VERTEX_ACCESS_TOKEN": "fake-vertex-token",
    }


class Command(BaseCommand):
    help = "Run fake OpenAI, Anthropic, Vertex AI and Cloud KMS servers and print the environment to use them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=LOOPBACK, help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--base-port", type=int, default=8710,
                            help="OpenAI on this port, Anthropic +1, Vertex +2, KMS +3; 0 picks free ports")
        parser.add_argument("--seconds", type=float, default=None, help="stop after this long (default: Ctrl-C)")

    def handle(self, *args: object, host: str, base_port: int, seconds: float | None, **options: object) -> None:
        classes = (FakeOpenAIServer, FakeAnthropicServer, FakeVertexServer, FakeKmsServer)
        servers = [cls(host=host, port=base_port + offset if base_port else 0) for offset, cls in enumerate(classes)]
        try:
            for server in servers:
                server.start()
            openai, anthropic, vertex, kms = servers
            for name, value in environment(openai, anthropic, vertex).items():
                self.stdout.write(f"export {name}={value}")
            self.stdout.write("# VERTEX_ANTHROPIC=1 sends Claude through the Vertex fake (:rawPredict) instead.")
            self.stdout.write(f"# Cloud KMS (REST) fake: api_endpoint {kms.base_url}, any key version such as")
            self.stdout.write(f"#   {FAKE_KEY_VERSION}")
            self.stdout.write("# Script failures: curl -X POST <base url>/__control__ -d '{\"status\": 429}'")
            self.stdout.flush()
            threading.Event().wait(seconds)
        except KeyboardInterrupt:
            self.stdout.write("stopping")
        finally:
            for server in servers:
                server.stop()
