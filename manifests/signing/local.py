"""The `local` signer: RSA-2048 keys in files, for development and tests (never production).

Key version `local:<n>` is the file `local-<n>.pem` in the key directory (git-ignored `var/`
by default), created 0600 on first use; `rotate()` creates the next one, which then signs.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from manifests.signing import SignerError
from manifests.signing.verify import public_pem_of, sign_digest_with

_KEY_FILE = re.compile(r"^local-(\d+)\.pem$")
_KEY_VERSION = re.compile(r"^local:(\d+)$")


class LocalSigner:
    backend = "local"

    def __init__(self, key_dir: Path) -> None:
        self.key_dir = Path(key_dir)
        self._lock = threading.Lock()
        # Loading an RSA private key checks it (tens of ms): keep each public key, per key file state.
        self._public_keys: dict[tuple, str] = {}

    def _numbers(self) -> list[int]:
        if not self.key_dir.is_dir():
            return []
        return sorted(int(match.group(1)) for name in os.listdir(self.key_dir) if (match := _KEY_FILE.match(name)))

    def _create(self, number: int) -> None:
        self.key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path = self.key_dir / f"local-{number}.pem"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)

    @property
    def key_version(self) -> str:
        with self._lock:
            numbers = self._numbers()
            if not numbers:
                self._create(1)
                numbers = [1]
            return f"local:{numbers[-1]}"

    def rotate(self) -> str:
        """Create the next key version; it signs from now on."""
        with self._lock:
            number = (self._numbers() or [0])[-1] + 1
            self._create(number)
            return f"local:{number}"

    def _private_key(self, key_version: str) -> rsa.RSAPrivateKey:
        match = _KEY_VERSION.match(key_version)
        path = self.key_dir / f"local-{match.group(1)}.pem" if match else None
        if path is None or not path.is_file():
            raise SignerError(f"no local key for key version {key_version!r}")
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise SignerError(f"key version {key_version!r} is not an RSA key")
        return key

    def sign_digest(self, digest: bytes) -> bytes:
        return sign_digest_with(self._private_key(self.key_version), digest)

    def public_key_pem(self, key_version: str) -> str:
        match = _KEY_VERSION.match(key_version)
        path = self.key_dir / f"local-{match.group(1)}.pem" if match else None
        try:
            stat = path.stat() if path else None
        except OSError:
            stat = None
        state = (key_version, stat.st_ino, stat.st_size, stat.st_mtime_ns) if stat else None
        if state is not None and state in self._public_keys:
            return self._public_keys[state]
        pem = public_pem_of(self._private_key(key_version))
        if state is not None:
            self._public_keys[state] = pem
        return pem
