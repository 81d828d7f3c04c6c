"""The `kms` signer: Cloud KMS `asymmetricSign` with an RSA_SIGN_PSS_2048_SHA256 key version.

The google-cloud-kms client uses the REST transport (it constructs offline, and an `http://`
endpoint reaches the loopback fake in tests), `retry=None` on every call (by default it retries
503 for about a minute; the caller decides) and a timeout. Integrity is checked both ways with
CRC32C (google-crc32c): the digest we send and the signature and public key we receive.
Public keys are cached for five minutes per key version.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import google_crc32c
from google.api_core import exceptions as google_exceptions
from google.api_core.client_options import ClientOptions
from google.auth import exceptions as auth_exceptions
from google.cloud import kms

from manifests.signing import SignerError

PUBLIC_KEY_CACHE_SECONDS = 300
CALL_TIMEOUT_SECONDS = 10.0
_EXPECTED_ALGORITHM = kms.CryptoKeyVersion.CryptoKeyVersionAlgorithm.RSA_SIGN_PSS_2048_SHA256
_CLIENT_ERRORS = (google_exceptions.GoogleAPIError, auth_exceptions.GoogleAuthError, OSError)


@dataclass(frozen=True)
class KmsConfig:
    key_version: str
    api_endpoint: str | None = None  # e.g. http://127.0.0.1:PORT for the fake KMS server
    access_token: str | None = None  # a static bearer token (fakes, tests); otherwise ADC
    timeout_seconds: float = CALL_TIMEOUT_SECONDS


class KmsSigner:
    backend = "kms"

    def __init__(self, config: KmsConfig, *, client: kms.KeyManagementServiceClient | None = None) -> None:
        self.config = config
        self._client = client
        self._lock = threading.Lock()
        self._public_keys: dict[str, tuple[float, str]] = {}

    @property
    def key_version(self) -> str:
        return self.config.key_version

    def client(self) -> kms.KeyManagementServiceClient:
        with self._lock:
            if self._client is None:
                options = ClientOptions(api_endpoint=self.config.api_endpoint) if self.config.api_endpoint else None
                credentials = None
                if self.config.access_token:
                    from google.oauth2.credentials import Credentials

                    credentials = Credentials(token=self.config.access_token)
                try:
                    self._client = kms.KeyManagementServiceClient(
                        transport="rest", credentials=credentials, client_options=options
                    )
                except _CLIENT_ERRORS as exc:
                    raise SignerError(f"Cloud KMS client could not be created: {type(exc).__name__}") from exc
            return self._client

    def sign_digest(self, digest: bytes) -> bytes:
        name = self.config.key_version
        try:
            response = self.client().asymmetric_sign(
                request={"name": name, "digest": {"sha256": digest}, "digest_crc32c": google_crc32c.value(digest)},
                retry=None,
                timeout=self.config.timeout_seconds,
            )
        except _CLIENT_ERRORS as exc:
            raise SignerError(f"Cloud KMS asymmetricSign failed: {type(exc).__name__}") from exc
        if not response.verified_digest_crc32c:
            raise SignerError("Cloud KMS did not confirm the digest checksum")
        if response.name and response.name != name:
            raise SignerError("Cloud KMS signed with another key version than asked")
        if response.signature_crc32c != google_crc32c.value(response.signature):
            raise SignerError("the signature from Cloud KMS failed its checksum")
        return response.signature

    def public_key_pem(self, key_version: str) -> str:
        now = time.monotonic()
        with self._lock:
            cached = self._public_keys.get(key_version)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            response = self.client().get_public_key(
                request={"name": key_version}, retry=None, timeout=self.config.timeout_seconds
            )
        except _CLIENT_ERRORS as exc:
            raise SignerError(f"Cloud KMS getPublicKey failed: {type(exc).__name__}") from exc
        if response.pem_crc32c != google_crc32c.value(response.pem.encode()):
            raise SignerError("the public key from Cloud KMS failed its checksum")
        if response.algorithm != _EXPECTED_ALGORITHM:
            raise SignerError(f"key version algorithm is {response.algorithm.name}, not RSA_SIGN_PSS_2048_SHA256")
        with self._lock:
            self._public_keys[key_version] = (now + PUBLIC_KEY_CACHE_SECONDS, response.pem)
        return response.pem
