from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

MODERATION_CATEGORIES = ("harm_high", "hate", "sexual", "dangerous", "pii_exposed")


def validate_moderation_thresholds(value) -> None:
    if not isinstance(value, dict):
        raise ValidationError("Moderation thresholds are an object of category: score.")
    for category, score in value.items():
        if category not in MODERATION_CATEGORIES:
            known = ", ".join(MODERATION_CATEGORIES)
            raise ValidationError(f"Unknown moderation category {category!r}; known: {known}.")
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0 < score <= 1:
            raise ValidationError(f"The threshold of {category} must be a number in (0, 1].")


class Tenant(models.Model):
    """A hotel (or hotel group) on the platform. Platform-owned: no row-level security."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        SUSPENDED = "suspended"

    class Residency(models.TextChoices):
        ANY = "any", "Any provider region"
        EU_ONLY = "eu_only", "EU-only providers"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    region = models.CharField(max_length=64, default="europe-west1", help_text="Vertex AI region pin")
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2, for local phone formats")
    data_residency = models.CharField(max_length=16, choices=Residency.choices, default=Residency.ANY)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    monthly_token_limit = models.BigIntegerField(null=True, blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(default=600)
    cache_enabled = models.BooleanField(default=True)
    operator = models.BooleanField(
        default=False,
        help_text="the platform operator's own tenant: its ai:admin credentials administer "
        "platform-wide resources (prompt registry, evals, edge manifests)",
    )
    moderation_thresholds = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_moderation_thresholds],
        help_text='per-category score at or above which content is flagged, e.g. {"hate": 0.4}; default 0.5',
    )
    moderation_review = models.BooleanField(
        default=True,
        help_text="hold the answer for a human (a HITL gate) when input moderation puts harm_high in its "
        "review band, under the blocking threshold; off: such inputs are answered like any other",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class TenantOwnedModel(models.Model):
    """Base of every tenant-owned table. Its migration must add `EnableRowLevelSecurity`."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True


class ApiKey(TenantOwnedModel):
    """A service credential. The key is shown once; only its SHA-256 is stored."""

    class Scope(models.TextChoices):
        INVOKE = "ai:invoke"
        REVIEW = "ai:review"
        ADMIN = "ai:admin"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = ArrayField(models.CharField(max_length=32, choices=Scope.choices), default=list)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name or 'key'} mlm_{self.prefix}_…"

    def usable_at(self, moment) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > moment


class PlatformAccessLog(models.Model):
    """One row per use of the platform-wide path that reads across tenants (append-only)."""

    id = models.BigAutoField(primary_key=True)
    actor = models.CharField(max_length=200)
    reason = models.CharField(max_length=200)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor}: {self.reason}"


class TenantMembership(TenantOwnedModel):
    """A person's account belongs to one tenant: a hotel's reviewers log in to the HITL pages with it.

    Which gates a member may see and decide is decided per gate by django-guardian permissions,
    granted to the tenant's reviewer groups (`hitl.permissions`); this row only binds the account
    to its tenant, so that row-level security scopes every page to it.
    """

    user = models.OneToOneField("auth.User", on_delete=models.CASCADE, related_name="membership")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["tenant", "user"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant_id}"
