"""Build the configured signer, and find the public key of any key version a manifest names.

The public key used to verify comes from the signer's own key store (the key file, or Cloud
KMS), never from the database row next to the signature: whoever can write the database cannot
make a forged manifest verify.
"""

from __future__ import annotations

import functools
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from manifests.signing import Signer
from manifests.signing.kms import KmsConfig, KmsSigner
from manifests.signing.local import LocalSigner

KMS_PREFIX = "kms:"


def parse_signer_spec(spec: str) -> tuple[str, str | None]:
    """`local` -> ("local", None); `kms:<key version resource name>` -> ("kms", name)."""
    if spec == "local":
        return "local", None
    if spec.startswith(KMS_PREFIX) and "/cryptoKeyVersions/" in spec:
        return "kms", spec.removeprefix(KMS_PREFIX)
    raise ImproperlyConfigured(
        "MANIFEST_SIGNER must be 'local' or 'kms:projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/N'"
    )


def signer_from_settings() -> Signer:
    return _signer(
        settings.MANIFEST_SIGNER,
        str(settings.MANIFEST_LOCAL_KEY_DIR),
        settings.KMS_API_ENDPOINT,
        settings.KMS_ACCESS_TOKEN,
    )


@functools.lru_cache(maxsize=8)
def _signer(spec: str, local_key_dir: str, kms_endpoint: str | None, kms_token: str | None) -> Signer:
    backend, key_version = parse_signer_spec(spec)
    if backend == "local":
        return LocalSigner(Path(local_key_dir))
    return KmsSigner(KmsConfig(key_version=key_version, api_endpoint=kms_endpoint, access_token=kms_token))


def public_key_for(key_version: str) -> str:
    """The PEM public key of `key_version` from its key store; raises SignerError when unreachable."""
    if key_version.startswith("local:"):
        return _signer("local", str(settings.MANIFEST_LOCAL_KEY_DIR), None, None).public_key_pem(key_version)
    return _signer(
        f"{KMS_PREFIX}{key_version}",
        str(settings.MANIFEST_LOCAL_KEY_DIR),
        settings.KMS_API_ENDPOINT,
        settings.KMS_ACCESS_TOKEN,
    ).public_key_pem(key_version)


def backend_of(key_version: str) -> str:
    return "local" if key_version.startswith("local:") else "kms"
