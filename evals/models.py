from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from melmastoon_ai.history import history_user


class EvalSuite(models.Model):
    """A capability's evaluation suite, keyed as in the catalog (EVAL_PRICING_001)."""

    key = models.CharField(max_length=64, unique=True)
    capability_id = models.CharField(max_length=64, db_index=True)
    description = models.TextField(blank=True)
    thresholds = models.JSONField(default=dict, blank=True, help_text='{"schema_valid_rate": {"min": 1.0}, ...}')
    tolerances = models.JSONField(default=dict, blank=True, help_text="allowed regression against the active version")
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class EvalRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        FINISHED = "finished"
        FAILED = "failed"

    class Verdict(models.TextChoices):
        PASS = "pass"  # noqa: S105 - a verdict, not a password
        FAIL = "fail"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    suite = models.ForeignKey(EvalSuite, on_delete=models.PROTECT, related_name="runs")
    prompt_version = models.ForeignKey("prompts.PromptVersion", null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="eval_runs")
    model_name = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    verdict = models.CharField(max_length=8, choices=Verdict.choices, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    thresholds = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["prompt_version", "-finished_at"], name="evalrun_version_latest_idx")]

    def __str__(self) -> str:
        return f"{self.suite.key} {self.verdict or self.status} ({self.id})"
