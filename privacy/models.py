"""Data protection (seed 001 responsibility 18): a data subject's erasure, tracked until done.

An `ErasureRequest` names the subject by one or more identifiers (the caller's `subject_refs`,
emails, phone numbers, guest names). Its run (privacy/services.py) goes through every store one step at a
time, each step committed with its count, so a run killed half-way resumes at the next step. When
it completes, the identifiers are blanked: the row stays as the audit of what was erased (counts per
store, never a value), with the salted digests an auditor can match a later request against.
"""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from melmastoon_ai.tenancy.models import TenantOwnedModel


class RetentionPolicy(TenantOwnedModel):
    """A tenant's retention periods, in days; a blank one takes the PRIVACY_RETENTION_DEFAULTS
    value (docs/privacy.md). The retention sweep (privacy/retention.py) applies them."""

    inference_content_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="then an inference's input, output and context are emptied (facts stay)"
    )
    idempotency_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="then an idempotency record is deleted"
    )
    published_event_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="then a relayed outbox event is deleted"
    )
    moderation_block_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="then a moderation block record is deleted"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "retention policies"
        constraints = [models.UniqueConstraint(fields=["tenant"], name="retention_policy_one_per_tenant")]

    def __str__(self) -> str:
        return f"retention of {self.tenant_id}"


class ErasureRequest(TenantOwnedModel):
    class Kind(models.TextChoices):
        SUBJECT_REF = "subject_ref"
        EMAIL = "email"
        PHONE = "phone"
        NAME = "name"

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        COMPLETED = "completed"

    OPEN_STATUSES = (Status.PENDING, Status.RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    identifier_kinds = ArrayField(models.CharField(max_length=16, choices=Kind.choices), default=list)
    # [{"kind", "value"}] as asked, needed while the run searches RAG documents' text; blanked on completion
    identifiers = models.JSONField(default=list, blank=True)
    digests = ArrayField(
        models.CharField(max_length=64),
        default=list,
        help_text="the identifiers' salted per-tenant digests (melmastoon_ai/subjects.py)",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.CharField(max_length=200)
    reason = models.CharField(max_length=200, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(help_text="requested_at + PRIVACY_ERASURE_DEADLINE_DAYS")
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    steps_done = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    targets = models.JSONField(default=dict, blank=True, help_text="ids of the rows the run acts on, never values")
    counts = models.JSONField(
        default=dict, blank=True, help_text='per store: {"found": n, "erased": n} rows (or cache entries)'
    )
    overdue_alerted_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [
            models.Index(fields=["tenant", "-requested_at"], name="erasure_tenant_recent_idx"),
            models.Index(
                fields=["status", "due_at"],
                name="erasure_open_due_idx",
                condition=models.Q(status__in=["pending", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return f"erasure {self.status} ({self.id})"
