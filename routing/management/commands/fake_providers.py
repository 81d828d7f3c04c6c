"""Run the fake provider servers (OpenAI, Anthropic, Vertex AI, Cloud KMS, Document AI, Speech-to-Text,
Cloud Translation, Cloud Vision, Cloud Storage) until Ctrl-C.

Prints the environment that points the service at them; nothing leaves 127.0.0.1 by default.
`--sample-objects evals/golden/ocr.id_scan.jsonl ...` puts a sample object (routing/fakes/samples.py)
into the fake Cloud Storage for every `gs://` / `gcs://` reference those golden sets' inputs make,
so `run_eval` of the media suites reads them as the tests do.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing.fakes import FakeAnthropicServer, FakeKmsServer, FakeOpenAIServer, FakeVertexServer
from routing.fakes.documentai_server import FakeDocumentAiServer
from routing.fakes.gcs_server import FakeGcsServer
from routing.fakes.server import LOOPBACK, FakeProviderServer
from routing.fakes.speech_server import FakeSpeechServer
from routing.fakes.translation_server import FakeTranslationServer
from routing.fakes.vision_server import FakeVisionServer
from routing.media import MEDIA_FIELDS

FAKE_PROJECT = "fake-project"
FAKE_KEY_VERSION = (
    f"projects/{FAKE_PROJECT}/locations/europe-west1/keyRings/melmastoon/cryptoKeys/manifests/cryptoKeyVersions/1"
)


def environment(
    openai: FakeProviderServer, anthropic: FakeProviderServer, vertex: FakeProviderServer
) -> dict[str, str]:
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


def google_cloud_environment(
    documentai: FakeProviderServer,
    speech: FakeProviderServer,
    translation: FakeProviderServer,
    vision: FakeProviderServer,
    gcs: FakeProviderServer,
) -> dict[str, str]:
    """The variables of docs/configuration.md that point the auxiliary services at their fakes (the
    Cloud Storage fake holds no object until a test puts one)."""
    return {
        "GOOGLE_CLOUD_ACCESS_TOKEN": "fake-google-cloud-token",
        "DOCUMENT_AI_PROCESSOR": f"projects/{FAKE_PROJECT}/locations/eu/processors/fake-id-parser",
        "DOCUMENT_AI_ENDPOINT": documentai.base_url,
        "SPEECH_LOCATION": "eu",
        "SPEECH_ENDPOINT": speech.base_url,
        "TRANSLATION_PROJECT": FAKE_PROJECT,
        "TRANSLATION_ENDPOINT": translation.base_url,
        "VISION_LOCATION": "eu",
        "VISION_ENDPOINT": vision.base_url,
        "GCS_PROJECT": FAKE_PROJECT,
        "GCS_ENDPOINT": gcs.base_url,
        "MEDIA_GCS_BUCKETS": ",".join(MEDIA_BUCKETS),
    }


MEDIA_BUCKETS = ("melmastoon-guest-docs", "melmastoon-voice")  # ID scans and photos; voice notes


def referenced_objects(paths: list[str]) -> list[str]:
    """The Cloud Storage references the inputs of these JSONL golden sets make, sorted, once each."""
    refs = set()
    for path in paths:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                payload = json.loads(line).get("input") or {}
            except (json.JSONDecodeError, AttributeError) as exc:
                raise CommandError(f"{path} line {number}: not a JSON object") from exc
            refs |= {
                str(payload[field])
                for _, _, field in MEDIA_FIELDS
                if str(payload.get(field, "")).startswith(("gcs://", "gs://"))
            }
    return sorted(refs)


class Command(BaseCommand):
    help = "Run the fake provider and Google Cloud servers and print the environment to use them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=LOOPBACK, help="address to listen on (default 127.0.0.1)")
        parser.add_argument(
            "--base-port",
            type=int,
            default=8710,
            help="OpenAI on this port, Anthropic +1, Vertex +2, KMS +3, Document AI +4, "
            "Speech +5, Translation +6, Vision +7, Storage +8; 0 picks free ports",
        )
        parser.add_argument("--seconds", type=float, default=None, help="stop after this long (default: Ctrl-C)")
        parser.add_argument(
            "--sample-objects",
            nargs="*",
            default=[],
            metavar="JSONL",
            help="golden sets whose gs:// / gcs:// references the Cloud Storage fake should hold samples for",
        )

    def handle(
        self,
        *args: object,
        host: str,
        base_port: int,
        seconds: float | None,
        sample_objects: list[str],
        **options: object,
    ) -> None:
        refs = referenced_objects(sample_objects)
        classes = (
            FakeOpenAIServer,
            FakeAnthropicServer,
            FakeVertexServer,
            FakeKmsServer,
            FakeDocumentAiServer,
            FakeSpeechServer,
            FakeTranslationServer,
            FakeVisionServer,
            FakeGcsServer,
        )
        servers = [cls(host=host, port=base_port + offset if base_port else 0) for offset, cls in enumerate(classes)]
        try:
            for server in servers:
                server.start()
            openai, anthropic, vertex, kms, documentai, speech, translation, vision, gcs = servers
            for ref in refs:
                cast(FakeGcsServer, gcs).put_sample(ref)
            for name, value in environment(openai, anthropic, vertex).items():
                self.stdout.write(f"export {name}={value}")
            for name, value in google_cloud_environment(documentai, speech, translation, vision, gcs).items():
                self.stdout.write(f"export {name}={value}")
            self.stdout.write("# VERTEX_ANTHROPIC=1 sends Claude through the Vertex fake (:rawPredict) instead.")
            self.stdout.write(f"# Cloud KMS (REST) fake: api_endpoint {kms.base_url}, any key version such as")
            self.stdout.write(f"#   {FAKE_KEY_VERSION}")
            if refs:
                self.stdout.write(f"# Cloud Storage fake: {len(refs)} sample objects for the golden references")
            self.stdout.write("# Script failures: curl -X POST <base url>/__control__ -d '{\"status\": 429}'")
            self.stdout.flush()
            threading.Event().wait(seconds)
        except KeyboardInterrupt:
            self.stdout.write("stopping")
        finally:
            for server in servers:
                server.stop()
