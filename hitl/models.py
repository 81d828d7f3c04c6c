from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from melmastoon_ai.tenancy.models import TenantOwnedModel


class HitlGate(TenantOwnedModel):
    """A draft output waiting for a human (seed 001 decision 7). Decided once, audited."""

    class Status(models.TextChoices):
        PENDING = "pending"
        ESCALATED = "escalated"
        APPROVED = "approved"
        EDITED = "edited"
        REJECTED = "rejected"
        EXPIRED = "expired"

    OPEN_STATUSES = (Status.PENDING, Status.ESCALATED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    inference = models.OneToOneField("capabilities.InferenceRecord", on_delete=models.PROTECT, related_name="gate")
    capability = models.CharField(max_length=64)
    reason = models.CharField(max_length=300)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    reviewer_group = models.CharField(max_length=64)
    assignee = models.ForeignKey(
        "auth.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="the reviewer who took the gate; the group may still decide it",
    )
    draft_output = models.JSONField()
    # What the draft was made against, stored when the gate opens: an edit is validated against the
    # schema of the capability version that made the draft, not whatever the catalog holds by then.
    capability_version = models.CharField(max_length=32, blank=True)
    output_schema = models.JSONField(default=dict, blank=True)
    # "<NAME_1>" -> the guest's name: the reviewer page shows it in the input and the draft while
    # the gate is open (the record keeps the placeholder); emptied when the gate is decided or
    # expires, and by the guest's erasure (privacy/)
    guest_names = models.JSONField(default=dict, blank=True)
    sla_due_at = models.DateTimeField()
    opened_at = models.DateTimeField(default=timezone.now)
    escalated_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sla_due_at"]
        indexes = [models.Index(fields=["status", "sla_due_at"], name="hitl_gate_open_due_idx")]
        # `view_hitlgate` shows a gate on the reviewer pages; `decide_hitlgate` lets one decide it.
        permissions = [("decide_hitlgate", "Can decide a HITL gate")]

    def __str__(self) -> str:
        return f"{self.capability} {self.status} ({self.id})"


class HitlDecision(TenantOwnedModel):
    """Append-only: one decision per gate (a unique constraint, also under two reviewers at once)."""

    class Decision(models.TextChoices):
        APPROVE = "approve"
        EDIT = "edit"
        REJECT = "reject"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    gate = models.OneToOneField(HitlGate, on_delete=models.PROTECT, related_name="decision")
    reviewer = models.CharField(max_length=200)
    decision = models.CharField(max_length=8, choices=Decision.choices)
    edited_output = models.JSONField(null=True, blank=True)
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.decision} by {self.reviewer}"


# django-guardian's direct foreign-key permission tables: a real FK to the gate (joins, not a
# text object_pk cast), granted to a tenant's reviewer groups when a gate opens or escalates.
class HitlGateUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(HitlGate, on_delete=models.CASCADE)


class HitlGateGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(HitlGate, on_delete=models.CASCADE)
