"""Writes of the manifests app: register models, sign and publish manifests, rotate and revoke keys.

Signing happens only here (seed 000: the manifest signer is the only role with signing rights).
Events go out through the outbox on the platform path, since manifests belong to no tenant.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from manifests import files
from manifests.canonical import canonical_bytes, sha256_hex
from manifests.models import EdgeModel, EdgeModelManifest, SigningKeyVersion
from manifests.selectors import edge_models_enabled
from manifests.signing import Signer, SignerError
from manifests.signing.factory import backend_of, signer_from_settings
from manifests.verification import SCHEMA
from melmastoon_ai.errors import ApplicationError, Conflict, Unavailable
from melmastoon_ai.outbox.services import outbox_emit
from melmastoon_ai.tenancy.context import platform_access

logger = logging.getLogger(__name__)


def _describe_file(path: Path) -> dict:
    return {
        "file": str(path.relative_to(files.model_dir().resolve())),
        "size": path.stat().st_size,
        "sha256": files.file_sha256(path),
    }


@transaction.atomic
def edge_model_register(
    *,
    name: str,
    version: str,
    task: str,
    path: Path,
    input_signature: dict,
    output_signature: dict,
    licence: str,
    source: str,
    assets: tuple[Path, ...] = (),
) -> EdgeModel:
    """Record (or refresh) a model file that lies in EDGE_MODEL_DIR, with its size and digest."""
    described = _describe_file(Path(path).resolve())
    model, _ = EdgeModel.objects.update_or_create(
        name=name,
        version=version,
        defaults={
            "task": task,
            "runtime": "onnxruntime",
            "file": described["file"],
            "size": described["size"],
            "sha256": described["sha256"],
            "input_signature": input_signature,
            "output_signature": output_signature,
            "assets": [_describe_file(Path(asset).resolve()) for asset in assets],
            "licence": licence,
            "source": source,
            "enabled": True,
        },
    )
    return model


def manifest_entry(model: EdgeModel) -> dict:
    return {
        "name": model.name,
        "version": model.version,
        "task": model.task,
        "runtime": model.runtime,
        "file": model.file,
        "size": model.size,
        "sha256": model.sha256,
        "inputs": model.input_signature,
        "outputs": model.output_signature,
        "assets": model.assets,
        "licence": model.licence,
        "source": model.source,
    }


def _next_version(latest: EdgeModelManifest | None) -> str:
    if latest is None:
        return "1.0.0"
    major, minor, _patch = (int(part) for part in latest.version.split("."))
    return f"{major}.{minor + 1}.0"


def _semver(version: str) -> tuple[int, int, int]:
    parts = version.split(".")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise ApplicationError(
            f"{version!r} is not a semantic version (MAJOR.MINOR.PATCH)", details={"version": version}
        )
    return int(parts[0]), int(parts[1]), int(parts[2])


def _key_version_row(signer: Signer) -> SigningKeyVersion:
    """The signer's current key version as a row; earlier active ones become retired (rotation)."""
    name = signer.key_version
    row = SigningKeyVersion.objects.select_for_update().filter(name=name).first()
    if row is None:
        row = SigningKeyVersion.objects.create(
            name=name, backend=backend_of(name), public_key_pem=signer.public_key_pem(name)
        )
    if row.status == SigningKeyVersion.Status.REVOKED:
        raise Conflict(
            f"key version {name} is revoked and cannot sign; rotate to a new key version first",
            details={"key_version": name},
        )
    if row.status != SigningKeyVersion.Status.ACTIVE:
        row.status = SigningKeyVersion.Status.ACTIVE
        row.save(update_fields=["status"])
    SigningKeyVersion.objects.filter(status=SigningKeyVersion.Status.ACTIVE).exclude(pk=row.pk).update(
        status=SigningKeyVersion.Status.RETIRED
    )
    return row


@transaction.atomic
def manifest_publish(*, actor: str, version: str | None = None, signer: Signer | None = None) -> EdgeModelManifest:
    """Sign the enabled edge models into a new manifest and make it the published one."""
    signer = signer or signer_from_settings()
    latest = EdgeModelManifest.objects.select_for_update().order_by("-created_at").first()
    if version is not None:
        _semver(version)
    if version is None:
        version = _next_version(latest)
    elif latest is not None and _semver(version) <= _semver(latest.version):
        raise Conflict(
            f"manifest version {version} is not newer than {latest.version}",
            details={"version": version, "latest": latest.version},
        )
    models = edge_models_enabled()
    if not models:
        raise ApplicationError("no edge models are registered; run `manage.py edge_models_build` first")
    try:
        key = _key_version_row(signer)
        created_at = timezone.now()
        body = canonical_bytes(
            {
                "schema": SCHEMA,
                "version": version,
                "created_at": created_at.isoformat(),
                "key_version": key.name,
                "algorithm": key.algorithm,
                "models": [manifest_entry(model) for model in models],
            }
        )
        signature = signer.sign_digest(hashlib.sha256(body).digest())
    except SignerError as exc:
        raise Unavailable(f"the manifest signer is unavailable: {exc}") from exc
    EdgeModelManifest.objects.filter(status=EdgeModelManifest.Status.PUBLISHED).update(
        status=EdgeModelManifest.Status.SUPERSEDED
    )
    manifest = EdgeModelManifest.objects.create(
        version=version,
        body=body.decode("utf-8"),
        body_sha256=sha256_hex(body),
        signature=base64.b64encode(signature).decode(),
        key_version=key,
        created_at=created_at,
        published_at=timezone.now(),
        published_by=actor[:200],
    )
    manifest.edge_models.set(models)
    _emit_platform_event(
        actor,
        "edge.manifest_published",
        {
            "version": version,
            "key_version": key.name,
            "body_sha256": manifest.body_sha256,
            "models": [{"name": model.name, "version": model.version, "sha256": model.sha256} for model in models],
        },
    )
    logger.info("edge manifest published", extra={"version": version, "key_version": key.name})
    return manifest


@transaction.atomic
def signing_key_rotate(*, actor: str, revoke_previous: bool, reason: str = "key rotation") -> EdgeModelManifest:
    """Seed 000's key-compromise runbook for the local signer: a new key version, a manifest signed
    by it, and (when compromised) the previous versions revoked so their signatures stop verifying.

    With Cloud KMS the new key version is created in KMS and MANIFEST_SIGNER points at it; then
    publishing records it and `signing_key_version_revoke` revokes the old one."""
    signer = signer_from_settings()
    if not hasattr(signer, "rotate"):
        raise ApplicationError(
            "the KMS signer rotates in Cloud KMS: create a key version, point MANIFEST_SIGNER "
            "at it, publish, then revoke the old version"
        )
    if not edge_models_enabled():
        raise ApplicationError("no edge models are registered; run `manage.py edge_models_build` first")
    previous = list(
        SigningKeyVersion.objects.exclude(status=SigningKeyVersion.Status.REVOKED).values_list("name", flat=True)
    )
    signer.rotate()
    manifest = manifest_publish(actor=actor, signer=signer)
    if revoke_previous:
        for name in previous:
            signing_key_version_revoke(name=name, reason=reason, actor=actor)
    return manifest


@transaction.atomic
def signing_key_version_revoke(*, name: str, reason: str, actor: str) -> SigningKeyVersion:
    key = SigningKeyVersion.objects.select_for_update().filter(name=name).first()
    if key is None:
        raise ApplicationError(f"no key version {name!r}", code="not_found", status=404)
    if key.status != SigningKeyVersion.Status.REVOKED:
        key.status, key.revoked_at, key.revoked_reason = SigningKeyVersion.Status.REVOKED, timezone.now(), reason[:200]
        key.save(update_fields=["status", "revoked_at", "revoked_reason"])
        _emit_platform_event(actor, "edge.key_version_revoked", {"key_version": name, "reason": reason[:200]})
    return key


def _emit_platform_event(actor: str, topic: str, payload: dict) -> None:
    with platform_access(actor=actor, reason=topic):
        outbox_emit(topic=topic, payload=payload, key=topic)
