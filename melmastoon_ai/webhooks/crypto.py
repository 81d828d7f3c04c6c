"""Webhook signing secrets: generated, encrypted at rest, and the signature a receiver checks.

A receiver verifies `X-Melmastoon-Signature: v1=<hex>` as HMAC-SHA256 over `"{timestamp}.{body}"`
with the secret it was shown once, and rejects a timestamp older than a few minutes (a replay);
docs/events.md has the receiver's snippet. The gateway must sign every delivery, so unlike an API
key the secret cannot be kept as a hash: it is encrypted with Fernet (AES-128-CBC + HMAC) under a
key derived from WEBHOOK_SECRET_KEY (or SECRET_KEY when that is unset).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

SECRET_PREFIX = "whsec_"  # noqa: S105 (a marker, not a secret)
SIGNATURE_VERSION = "v1"


def secret_generate() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _fernet() -> Fernet:
    material = (settings.WEBHOOK_SECRET_KEY or settings.SECRET_KEY).encode()
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"melmastoon-ai webhook secrets\0" + material).digest()))


def secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    """The secret; a RuntimeError (never the token) when the key changed since it was stored."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise RuntimeError("a webhook secret does not decrypt: WEBHOOK_SECRET_KEY changed; rotate the secret") from exc


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """One signature: `v1=` and the hex HMAC-SHA256 of `{timestamp}.{body}`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def signature_header(*, secrets: list[str], timestamp: int, body: bytes) -> str:
    """The header value: one `v1=` signature per signing secret (the current one first, then the
    previous one during a rotation's grace window), comma-separated; a receiver accepts any."""
    return ",".join(signature(secret=secret, timestamp=timestamp, body=body) for secret in secrets)
