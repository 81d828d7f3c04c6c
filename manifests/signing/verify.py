"""Signature verification, as the desktop does it: RSA-PSS, MGF1-SHA256, salt length 32, over the
SHA-256 digest of the body (prehashed), which is what Cloud KMS RSA_SIGN_PSS_2048_SHA256 signs."""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
ALGORITHM = "RSA_SIGN_PSS_2048_SHA256"


def sign_digest_with(private_key: rsa.RSAPrivateKey, digest: bytes) -> bytes:
    return private_key.sign(digest, PSS, utils.Prehashed(hashes.SHA256()))


def signature_valid(*, body: bytes, signature_b64: str, public_key_pem: str) -> bool:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        public_key = serialization.load_pem_public_key(public_key_pem.encode())
    except (binascii.Error, ValueError, TypeError):
        return False
    if not isinstance(public_key, rsa.RSAPublicKey):
        return False
    try:
        public_key.verify(signature, hashlib.sha256(body).digest(), PSS, utils.Prehashed(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def public_pem_of(private_key: rsa.RSAPrivateKey) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
