"""The verification command does what the desktop does; key rotation from the command line."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import call_command
from django.core.management.base import CommandError

from manifests.models import EdgeModelManifest, SigningKeyVersion
from manifests.signing.verify import public_pem_of
from manifests.verification import ManifestRefused, verified_manifest, verified_published_manifest
from tests.manifests.conftest import flip_a_byte

pytestmark = pytest.mark.django_db


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
    with pytest.raises(CommandError, match=r"FAILED: sha256_mismatch: melmastoon-edge-photo-quality-v1/model\.onnx"):
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
        "all-minilm-l6-v2", "melmastoon-edge-anomaly-v3", "melmastoon-edge-photo-quality-v1"]
    assert lines[-1] == "published manifest 1.0.0 signed by local:1"
    again = StringIO()
    call_command("edge_models_build", "--publish", "--if-missing", stdout=again)
    assert again.getvalue().startswith("edge models in place")
    assert EdgeModelManifest.objects.count() == 1
