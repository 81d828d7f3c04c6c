"""Checking a manifest as a client does: signature, key version, canonical form, file digests.

`check_signed_manifest` is pure (bytes, signature, key, revoked key versions) and is what the
`verify_manifest` command and the desktop do. `verified_published_manifest` adds the server's
trust anchors: the key store's public key for the key version, and the key version's status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from manifests.canonical import is_canonical
from manifests.signing import SignerError
from manifests.signing.verify import signature_valid

SCHEMA = "melmastoon.edge-manifest/1"


class ManifestRefused(Exception):
    """A manifest or a model file that must not be used; `reason` is a stable code."""

    def __init__(self, reason: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.details = details


@dataclass(frozen=True)
class VerifiedManifest:
    version: str
    key_version: str
    document: dict
    models: dict[str, dict] = field(default_factory=dict)  # by model name


def check_signed_manifest(
    *, body: bytes, signature_b64: str, key_version: str, public_key_pem: str, revoked: bool = False
) -> VerifiedManifest:
    if revoked:
        raise ManifestRefused("key_revoked", f"key version {key_version} is revoked", key_version=key_version)
    if not signature_valid(body=body, signature_b64=signature_b64, public_key_pem=public_key_pem):
        raise ManifestRefused(
            "bad_signature",
            "the manifest signature does not verify with the key version's public key",
            key_version=key_version,
        )
    if not is_canonical(body):
        raise ManifestRefused("not_canonical", "the manifest body is not canonical JSON")
    document = json.loads(body)
    if document.get("schema") != SCHEMA:
        raise ManifestRefused("unknown_schema", f"the manifest schema is not {SCHEMA}")
    if document.get("key_version") != key_version:
        raise ManifestRefused(
            "key_version_mismatch", "the manifest names another key version than its signature", key_version=key_version
        )
    models = {entry["name"]: entry for entry in document.get("models", [])}
    return VerifiedManifest(version=document["version"], key_version=key_version, document=document, models=models)


def verified_published_manifest() -> VerifiedManifest:
    """The current published manifest, verified against the key store; ManifestRefused otherwise."""
    from manifests.selectors import manifest_published

    manifest = manifest_published()
    if manifest is None:
        raise ManifestRefused("no_manifest", "no manifest is published")
    return verified_manifest(manifest)


def verified_manifest(manifest) -> VerifiedManifest:
    """One stored manifest, checked with its key version's public key from the key store."""
    from manifests.signing.factory import public_key_for

    key = manifest.key_version
    try:
        public_key_pem = public_key_for(key.name)
    except SignerError as exc:
        raise ManifestRefused(
            "public_key_unavailable", f"the public key of {key.name} is unavailable: {exc}", key_version=key.name
        ) from exc
    return check_signed_manifest(
        body=manifest.body.encode("utf-8"),
        signature_b64=manifest.signature,
        key_version=key.name,
        public_key_pem=public_key_pem,
        revoked=key.status == key.Status.REVOKED,
    )


def published_manifest_problem() -> str | None:
    """Why the published manifest cannot be served as signed (it does not verify, or a file it
    lists is missing or changed), or None when it can. "no_manifest" when none is published."""
    from manifests import files

    try:
        manifest = verified_published_manifest()
    except ManifestRefused as exc:
        return exc.reason
    for entry in manifest.models.values():
        for described in (entry, *entry.get("assets", [])):
            try:
                if files.file_sha256(files.resolve(described["file"])) != described["sha256"]:
                    return f"sha256_mismatch: {described['file']}"
            except (OSError, files.UnsafePath):
                return f"file_missing: {described['file']}"
    return None
