"""A tenant's webhook endpoints and each event's delivery to each of them (docs/events.md, "Webhooks")."""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from melmastoon_ai.tenancy.models import Tenant


class WebhookEndpoint(models.Model):
    """Where a tenant wants its events POSTed. Tenant-owned (row-level security).

    The signing secret is stored encrypted (`webhooks.secrets`): the gateway needs it back to sign
    every delivery, so it cannot be hashed like an API key; it is shown once, on create and rotate.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    url = models.CharField(max_length=2000)
    event_types = ArrayField(models.CharField(max_length=100), help_text="event types, or a family as `hitl.*`")
    description = models.CharField(max_length=200, blank=True)
    secret_encrypted = models.TextField(editable=False)
    secret_hint = models.CharField(max_length=20, help_text="the secret's first characters, to tell secrets apart")
    # After a rotation the previous secret also signs, until this time, so the receiver can switch
    # secrets without rejecting deliveries meanwhile (each delivery carries both signatures).
    previous_secret_encrypted = models.TextField(editable=False, blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="until when the secret before the last rotation still signs deliveries"
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["tenant", "active"], name="webhook_endpoint_tenant_idx")]

    def __str__(self) -> str:
        return self.url

    def signing_secrets_encrypted(self, *, now) -> list[str]:
        """The current secret, then the previous one while its grace window lasts."""
        previous = self.previous_secret_expires_at is not None and self.previous_secret_expires_at > now
        return [self.secret_encrypted, *([self.previous_secret_encrypted] if previous else [])]

    def subscribes_to(self, event_type: str) -> bool:
        family = event_type.split(".", 1)[0]
        return event_type in self.event_types or f"{family}.*" in self.event_types


class WebhookDelivery(models.Model):
    """One event to one endpoint: the exact body signed, its attempts and their outcome.

    The body is stored as sent (already redacted, as every event): a retry signs the same bytes,
    and a delivery does not depend on the outbox row outliving it."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        PARKED = "parked"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=100)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_once_per_endpoint"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="webhook_delivery_due_idx", condition=models.Q(status="pending")
            ),
            models.Index(fields=["endpoint", "created_at"], name="webhook_delivery_endpoint_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} -> {self.endpoint_id} ({self.status})"
