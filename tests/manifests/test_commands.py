"""The verification command does what the desktop does; key rotation from the command line."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import call_command
from django.core.management.base import CommandError

from manifests.models import EdgeModelManifest, SigningKeyVersion
from manifests.signing.verify import public_pem_of
from manifests.verification import ManifestRefused, verified_manifest, verified_published_manifest
from tests.manifests.conftest import flip_a_byte

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def signed_file(client_a, edge, tmp_path):
    path = tmp_path / "latest.json"
    path.write_text(json.dumps(client_a.get("/api/v1/ai/manifests/latest").json()), encoding="utf-8")
    return path


def verify(*args) -> str:
    out = StringIO()
    call_command("verify_manifest", *map(str, args), stdout=out)
    return out.getvalue()


def test_verify_manifest_accepts_the_published_manifest_and_its_files(signed_file, edge):
    assert verify(signed_file) == "OK manifest 1.0.0 signed by local:1 (3 models)\n"
    assert verify(signed_file, "--models-dir", edge.model_dir).endswith("(3 models, 4 file(s) match)\n")


def test_verify_manifest_fails_on_a_changed_byte_of_the_manifest(signed_file):
    document = json.loads(signed_file.read_text())
    document["manifest"] = document["manifest"].replace('"version":"1.0.0"', '"version":"1.0.1"')
    signed_file.write_text(json.dumps(document))
    with pytest.raises(CommandError, match="FAILED: bad_signature"):
        verify(signed_file)


def test_verify_manifest_fails_against_a_pinned_key_that_did_not_sign_it(signed_file, tmp_path):
    pinned = tmp_path / "pinned.pem"
    pinned.write_text(public_pem_of(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    with pytest.raises(CommandError, match="FAILED: bad_signature"):
        verify(signed_file, "--public-key", pinned)


def test_verify_manifest_fails_on_a_changed_model_file_and_on_an_unreadable_document(signed_file, edge, tmp_path):
    flip_a_byte(edge.path("melmastoon-edge-photo-quality-v1"))
    problem = r"FAILED: sha256_mismatch: melmastoon-edge-photo-quality-v1/1\.0\.0/model\.onnx"
    with pytest.raises(CommandError, match=problem):
        verify(signed_file, "--models-dir", edge.model_dir)
    for content in ("{not json", '{"manifest": 1, "signature": "", "key_version": "", "public_key_pem": ""}'):
        garbage = tmp_path / "garbage.json"
        garbage.write_text(content)
        with pytest.raises(CommandError, match="FAILED: unreadable"):
            verify(garbage)


def test_rotate_manifest_key_revokes_the_old_version_and_its_signatures_stop_verifying(edge):
    out = StringIO()
    call_command("rotate_manifest_key", "--revoke-previous", "--reason", "drill", stdout=out)
    assert out.getvalue() == "published manifest 1.1.0 signed by local:2\n"
    assert SigningKeyVersion.objects.get(name="local:1").status == "revoked"
    assert verified_published_manifest().key_version == "local:2"
    with pytest.raises(ManifestRefused) as refused:
        verified_manifest(EdgeModelManifest.objects.get(version="1.0.0"))
    assert refused.value.reason == "key_revoked"


def test_edge_models_build_trains_registers_and_publishes_then_leaves_an_intact_set_alone(catalog, edge_dirs):
    out = StringIO()
    call_command("edge_models_build", "--publish", "--if-missing", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split()[0] for line in lines[:3]] == [
        "all-minilm-l6-v2",
        "melmastoon-edge-anomaly-v3",
        "melmastoon-edge-photo-quality-v1",
    ]
    assert lines[-1] == "published manifest 1.0.0 signed by local:1"
    again = StringIO()
    call_command("edge_models_build", "--publish", "--if-missing", stdout=again)
    assert again.getvalue().startswith("edge models in place")
    assert EdgeModelManifest.objects.count() == 1


# --- rebuilding never overwrites what a published manifest serves (issue 15 #21) -----------------


def _retrained_differently(monkeypatch):
    """The anomaly model comes out with other bytes (as after a library upgrade or a code change)."""
    from manifests.training import anomaly

    real = anomaly.train_anomaly_model
    monkeypatch.setattr(anomaly, "train_anomaly_model", lambda path, **kw: real(path, seed=7, count=600))


def test_a_rebuild_without_publish_writes_a_new_version_and_leaves_the_served_files_alone(
    edge, client_a, anon_client, monkeypatch, tmp_path
):
    from manifests.models import EdgeModel

    served = edge.path("melmastoon-edge-anomaly-v3")
    served_bytes = served.read_bytes()
    link = next(
        link
        for link in client_a.get("/api/v1/ai/manifests/latest").json()["files"]
        if link["file"] == "melmastoon-edge-anomaly-v3/3.0.0/model.onnx"
    )
    _retrained_differently(monkeypatch)
    out = StringIO()
    call_command("edge_models_build", stdout=out)
    assert "melmastoon-edge-anomaly-v3 3.0.1" in out.getvalue()
    assert served.read_bytes() == served_bytes  # the published manifest's file is untouched
    new = EdgeModel.objects.get(name="melmastoon-edge-anomaly-v3", version="3.0.1")
    assert new.file == "melmastoon-edge-anomaly-v3/3.0.1/model.onnx" and new.sha256 != link["sha256"]
    assert EdgeModel.objects.get(name="all-minilm-l6-v2").version == "1.0.0"  # same bytes: no new version
    response = anon_client.get(link["url"].split("testserver")[-1])
    assert response.status_code == 200 and response["X-Content-SHA256"] == link["sha256"]
    saved = tmp_path / "latest.json"
    saved.write_text(json.dumps(client_a.get("/api/v1/ai/manifests/latest").json()))
    assert verify(saved).startswith("OK")
    assert anon_client.get("/readyz").status_code == 200


def test_readiness_fails_when_a_file_of_the_published_manifest_changed_or_went_missing(edge, anon_client):
    assert anon_client.get("/readyz").status_code == 200
    flip_a_byte(edge.path("melmastoon-edge-photo-quality-v1"))
    response = anon_client.get("/readyz")
    assert response.status_code == 503 and response.json()["failing"] == ["edge_manifest"]
    assert "sha256_mismatch: melmastoon-edge-photo-quality-v1/1.0.0/model.onnx" in json.dumps(response.json())
    edge.path("melmastoon-edge-photo-quality-v1").unlink()
    assert "file_missing" in json.dumps(anon_client.get("/readyz").json())


def test_training_gives_the_same_bytes_in_every_process(tmp_path):
    """Deterministic: two processes with different hash seeds train byte-identical models."""
    script = (
        "import sys, django; django.setup(); from pathlib import Path; "
        "from manifests.training import anomaly, photo_quality; "
        "out = Path(sys.argv[1]); anomaly.train_anomaly_model(out / 'a.onnx', count=600); "
        "photo_quality.train_photo_quality_model(out / 'p.onnx', count=200)"
    )
    digests = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        out.mkdir()
        env = dict(os.environ, PYTHONHASHSEED=seed, DJANGO_SETTINGS_MODULE="melmastoon_ai.settings.test")
        subprocess.run([sys.executable, "-c", script, str(out)], check=True, env=env, cwd=ROOT, timeout=300)
        digests.append([hashlib.sha256((out / name).read_bytes()).hexdigest() for name in ("a.onnx", "p.onnx")])
    assert digests[0] == digests[1]
