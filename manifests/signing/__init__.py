"""The manifest signer port and its two adapters (seed 000: the only role with signing rights).

`signer_from_spec(MANIFEST_SIGNER)` builds `LocalSigner` (`local`: RSA keys created on first use
under `MANIFEST_LOCAL_KEY_DIR`, for development and tests) or `KmsSigner` (`kms:<key version>`:
Cloud KMS `asymmetricSign`). Both sign the SHA-256 digest of the canonical body with
RSA_SIGN_PSS_2048_SHA256; `verify.py` checks signatures the same way for both.
"""

from __future__ import annotations

from typing import Protocol


class SignerError(Exception):
    """The signer could not sign or hand out a public key (unreachable, misconfigured, bad answer)."""


class Signer(Protocol):
    backend: str

    @property
    def key_version(self) -> str:
        """The key version new signatures are made with."""

    def sign_digest(self, digest: bytes) -> bytes:
        """RSA-PSS (MGF1-SHA256, salt 32) signature of a SHA-256 digest, by `key_version`."""

    def public_key_pem(self, key_version: str) -> str:
        """The PEM public key of one of this signer's key versions."""
