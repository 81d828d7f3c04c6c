"""Canonical JSON, the local and KMS signers, and verification (RSA-PSS-SHA256, salt 32)."""

from __future__ import annotations

import base64
import hashlib
import json
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

from manifests.canonical import canonical_bytes, is_canonical
from manifests.checks import require_reachable_signer
from manifests.signing import SignerError
from manifests.signing.factory import parse_signer_spec
from manifests.signing.kms import KmsConfig, KmsSigner
from manifests.signing.local import LocalSigner
from manifests.signing.verify import public_pem_of, signature_valid
from manifests.verification import ManifestRefused, check_signed_manifest
from routing.fakes.kms_server import FakeKmsServer
from tests.manifests.conftest import closed_port

KEY_VERSION = "projects/p/locations/europe-west1/keyRings/manifests/cryptoKeys/signer/cryptoKeyVersions/1"


def _sign(signer, body: bytes) -> str:
    return base64.b64encode(signer.sign_digest(hashlib.sha256(body).digest())).decode()


def test_canonical_json_sorts_keys_drops_whitespace_and_keeps_non_ascii_as_utf8():
    body = canonical_bytes({"b": 1, "a": {"z": "é", "y": [1, 2]}})
    assert body == '{"a":{"y":[1,2],"z":"é"},"b":1}'.encode()
    assert is_canonical(body)
    assert not is_canonical(json.dumps({"b": 1, "a": 2}).encode())  # unsorted, with spaces


def test_the_local_signer_creates_a_private_key_file_on_first_use_and_rotates(tmp_path):
    signer = LocalSigner(tmp_path / "keys")
    assert signer.key_version == "local:1"
    key_file = tmp_path / "keys" / "local-1.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    body = b'{"a":1}'
    signature = _sign(signer, body)
    assert signature_valid(body=body, signature_b64=signature, public_key_pem=signer.public_key_pem("local:1"))
    assert signer.rotate() == "local:2" == signer.key_version
    assert not signature_valid(body=body, signature_b64=signature, public_key_pem=signer.public_key_pem("local:2"))


def test_verification_refuses_a_changed_byte_another_key_and_a_revoked_key_version(tmp_path):
    signer = LocalSigner(tmp_path)
    body = canonical_bytes(
        {"schema": "melmastoon.edge-manifest/1", "version": "1.0.0", "key_version": "local:1", "models": []}
    )
    signature = _sign(signer, body)
    pem = signer.public_key_pem("local:1")
    assert (
        check_signed_manifest(body=body, signature_b64=signature, key_version="local:1", public_key_pem=pem).version
        == "1.0.0"
    )
    other = public_pem_of(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    cases = [
        (dict(body=body.replace(b"1.0.0", b"1.0.1")), "bad_signature"),
        (dict(public_key_pem=other), "bad_signature"),
        (dict(revoked=True), "key_revoked"),
        (dict(key_version="local:2"), "key_version_mismatch"),
    ]
    for change, reason in cases:
        arguments = {"body": body, "signature_b64": signature, "key_version": "local:1", "public_key_pem": pem} | change
        with pytest.raises(ManifestRefused) as refused:
            check_signed_manifest(**arguments)
        assert refused.value.reason == reason


def test_the_kms_signer_signs_through_the_real_client_and_the_fake_kms_and_caches_the_public_key():
    with FakeKmsServer() as server:
        signer = KmsSigner(KmsConfig(key_version=KEY_VERSION, api_endpoint=server.base_url, access_token="fake-token"))
        body = b'{"version":"1.0.0"}'
        signature = _sign(signer, body)
        pem = signer.public_key_pem(KEY_VERSION)
        assert signer.public_key_pem(KEY_VERSION) == pem
        paths = [request.path.split("?")[0] for request in server.received]
    assert signature_valid(body=body, signature_b64=signature, public_key_pem=pem)
    assert sum(path.endswith("/publicKey") for path in paths) == 1  # the second read came from the cache
    assert any(path.endswith(":asymmetricSign") for path in paths)


def test_a_kms_error_is_not_retried_and_becomes_a_signer_error():
    with FakeKmsServer() as server:
        server.script(times=None, status=503)
        signer = KmsSigner(KmsConfig(key_version=KEY_VERSION, api_endpoint=server.base_url, access_token="fake-token"))
        with pytest.raises(SignerError, match="asymmetricSign failed"):
            signer.sign_digest(hashlib.sha256(b"x").digest())
        assert len(server.received) == 1  # retry=None: one call, no minute of retries


def test_the_signer_spec_must_be_local_or_a_kms_key_version():
    assert parse_signer_spec("local") == ("local", None)
    assert parse_signer_spec(f"kms:{KEY_VERSION}") == ("kms", KEY_VERSION)
    with pytest.raises(ImproperlyConfigured):
        parse_signer_spec("kms:projects/p/keyRings/r")


def test_boot_fails_clearly_when_kms_is_configured_and_unreachable(settings):
    settings.MANIFEST_SIGNER = f"kms:{KEY_VERSION}"
    settings.KMS_API_ENDPOINT = f"http://127.0.0.1:{closed_port()}"
    settings.KMS_ACCESS_TOKEN = "fake-token"
    with pytest.raises(ImproperlyConfigured, match="Cloud KMS key version, but KMS did not answer"):
        require_reachable_signer()


def test_boot_passes_when_the_kms_answers(settings):
    with FakeKmsServer() as server:
        settings.MANIFEST_SIGNER = f"kms:{KEY_VERSION}"
        settings.KMS_API_ENDPOINT = server.base_url
        settings.KMS_ACCESS_TOKEN = "fake-token"
        require_reachable_signer()
        assert server.received[-1].path.split("?")[0].endswith("/publicKey")
