"""Edge models, the signing key versions and the signed manifests that list them.

Platform-level tables: no tenant owns an edge model or a manifest (every desktop of every hotel
runs the same signed set), so there is no `tenant_id` and no row-level security here. Only the
manifests services write them; the Django admin reads them through the audited platform path.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from melmastoon_ai.history import history_user


class SigningKeyVersion(models.Model):
    """One key version of the manifest signer: `local:<n>` (a key file under var/) or a Cloud KMS
    CryptoKeyVersion resource name. Revoking one makes every manifest it signed stop verifying."""

    class Status(models.TextChoices):
        ACTIVE = "active", "active (signs new manifests)"
        RETIRED = "retired", "retired (old signatures still verify)"
        REVOKED = "revoked", "revoked (its signatures no longer verify)"

    name = models.CharField(max_length=400, unique=True)
    backend = models.CharField(max_length=16, choices=[("local", "local RSA key"), ("kms", "Cloud KMS")])
    algorithm = models.CharField(max_length=64, default="RSA_SIGN_PSS_2048_SHA256")
    public_key_pem = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"


class EdgeModel(models.Model):
    """One ONNX file the desktop and the `edge` provider run, with what a verifier needs."""

    class Task(models.TextChoices):
        EMBEDDING = "embedding", "text embedding"
        ANOMALY = "anomaly_classification", "anomaly classification"
        PHOTO_QUALITY = "photo_quality", "photo quality"

    name = models.CharField(max_length=100, help_text="the catalog model name, e.g. all-minilm-l6-v2")
    version = models.CharField(max_length=32)
    task = models.CharField(max_length=32, choices=Task.choices)
    runtime = models.CharField(max_length=32, default="onnxruntime")
    file = models.CharField(max_length=300, help_text="path under EDGE_MODEL_DIR")
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    input_signature = models.JSONField(default=dict)
    output_signature = models.JSONField(default=dict)
    assets = models.JSONField(
        default=list, blank=True, help_text="other files the model needs (a tokenizer): [{file, size, sha256}]"
    )
    licence = models.CharField(max_length=100)
    source = models.TextField(help_text="where the weights came from, or how they were trained")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["name", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="edge_model_name_version")]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class EdgeModelManifest(models.Model):
    """A signed list of edge models. `body` holds the canonical JSON exactly as signed, so any
    client verifies it byte for byte; the other columns are indexes into it."""

    class Status(models.TextChoices):
        PUBLISHED = "published", "published (the current manifest)"
        SUPERSEDED = "superseded", "superseded by a newer manifest"

    version = models.CharField(max_length=32, unique=True)
    edge_models = models.ManyToManyField(EdgeModel, related_name="manifests")
    body = models.TextField()
    body_sha256 = models.CharField(max_length=64)
    signature = models.TextField(help_text="base64 RSA-PSS-SHA256 signature over sha256(body)")
    key_version = models.ForeignKey(SigningKeyVersion, on_delete=models.PROTECT, related_name="manifests")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PUBLISHED, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="published"), name="one_published_manifest"
            ),
        ]

    def __str__(self) -> str:
        return f"manifest {self.version} ({self.status})"
