from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from melmastoon_ai.tenancy.models import Tenant


class OutboxEvent(models.Model):
    """An event written in the same transaction as the change it describes; relayed after commit.

    Tenant-owned (row-level security): `tenant` is null only for platform events, which only
    the platform path can write or read.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    topic = models.CharField(max_length=100)
    key = models.CharField(max_length=200, blank=True)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    available_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    parked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(
                fields=["available_at"],
                name="outbox_pending_idx",
                condition=models.Q(published_at__isnull=True, parked_at__isnull=True),
            ),
            models.Index(fields=["tenant", "topic", "created_at"], name="outbox_tenant_topic_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.key} ({self.id})"

    @property
    def state(self) -> str:
        if self.published_at:
            return "published"
        if self.parked_at:
            return "parked"
        return "pending"
