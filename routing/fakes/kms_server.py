"""A fake Cloud KMS (REST): `asymmetricSign` and `getPublicKey` for RSA_SIGN_PSS_2048_SHA256 keys.

Each key version name gets its own RSA key, made on first use and kept while the fake runs, so
a signature verifies against the public key the fake hands out for the same name.
"""

from __future__ import annotations

import base64
import binascii
import threading
from typing import ClassVar

import google_crc32c
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

from routing.fakes.server import LOOPBACK, Call, FakeProviderServer, Reply
from routing.fakes.vertex_server import google_error

_KEY_VERSION = r"(?P<name>projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+/cryptoKeyVersions/[^/:]+)"
ALGORITHM = "RSA_SIGN_PSS_2048_SHA256"
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


def crc32c(data: bytes) -> str:
    """As the KMS JSON API writes an int64: a decimal string."""
    return str(google_crc32c.value(data))


class FakeKmsServer(FakeProviderServer):
    provider = "kms"
    routes: ClassVar = (
        ("POST", rf"/v1/{_KEY_VERSION}:asymmetricSign", "asymmetric_sign"),
        ("GET", rf"/v1/{_KEY_VERSION}/publicKey", "public_key"),
    )

    def __init__(self, *, host: str = LOOPBACK, port: int = 0, hang_seconds: float = 30.0) -> None:
        super().__init__(host=host, port=port, hang_seconds=hang_seconds)
        self._keys: dict[str, rsa.RSAPrivateKey] = {}
        self._keys_lock = threading.Lock()

    def error_payload(self, status: int) -> dict:
        return google_error(status)

    def private_key(self, name: str) -> rsa.RSAPrivateKey:
        with self._keys_lock:
            if name not in self._keys:
                self._keys[name] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return self._keys[name]

    def asymmetric_sign(self, call: Call) -> Reply:
        name = call.params["name"]
        encoded = (call.body.get("digest") or {}).get("sha256")
        try:
            digest = base64.b64decode(encoded or "", validate=True)
        except (binascii.Error, ValueError):
            digest = b""
        if len(digest) != 32:
            return Reply(google_error(400), 400)
        claimed = call.body.get("digestCrc32c", call.body.get("digest_crc32c"))
        if claimed is not None and str(claimed) != crc32c(digest):
            return Reply(google_error(400), 400)
        signature = self.private_key(name).sign(digest, PSS, utils.Prehashed(hashes.SHA256()))
        return Reply(
            {
                "signature": base64.b64encode(signature).decode(),
                "signatureCrc32c": crc32c(signature),
                "verifiedDigestCrc32c": claimed is not None,
                "name": name,
                "protectionLevel": "SOFTWARE",
            }
        )

    def public_key(self, call: Call) -> Reply:
        name = call.params["name"]
        pem = (
            self.private_key(name)
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
        return Reply(
            {
                "pem": pem,
                "algorithm": ALGORITHM,
                "pemCrc32c": crc32c(pem.encode()),
                "name": name,
                "protectionLevel": "SOFTWARE",
            }
        )
