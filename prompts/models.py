from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from melmastoon_ai.history import history_user

SEMVER = RegexValidator(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$", "Use a semantic version: MAJOR.MINOR.PATCH")
PROMPT_KEY = RegexValidator(r"^PRMP_[A-Z][A-Z0-9]*_\d{3}$", "Prompt keys look like PRMP_<DOMAIN>_<NNN>")


class Prompt(models.Model):
    key = models.CharField(max_length=64, unique=True, validators=[PROMPT_KEY])
    domain = models.CharField(max_length=32)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["key"]
        permissions = [("promote_prompt", "Can change the lifecycle status of this prompt's versions")]

    def __str__(self) -> str:
        return self.key


class PromptVersion(models.Model):
    """A version of a prompt. Status changes only through prompts.services.lifecycle, and the
    database enforces the transition graph and immutability of released text (a trigger)."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        ACTIVE = "active"
        DEPRECATED = "deprecated"
        RETIRED = "retired"

    prompt = models.ForeignKey(Prompt, on_delete=models.PROTECT, related_name="versions")
    version = models.CharField(max_length=32, validators=[SEMVER])
    system_template = models.TextField()
    user_template = models.TextField()
    variables = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    model_parameters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, editable=False)
    canary_percent = models.PositiveSmallIntegerField(
        null=True, blank=True, editable=False, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    canary_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    activated_at = models.DateTimeField(null=True, blank=True, editable=False)
    deprecated_at = models.DateTimeField(null=True, blank=True, editable=False)
    retired_at = models.DateTimeField(null=True, blank=True, editable=False)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["prompt__key", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["prompt", "version"], name="prompt_version_unique"),
            models.UniqueConstraint(
                fields=["prompt"], condition=Q(status="active"), name="one_active_version_per_prompt"
            ),
            models.UniqueConstraint(
                fields=["prompt"], condition=Q(canary_percent__isnull=False), name="one_canary_per_prompt"
            ),
            models.CheckConstraint(
                condition=Q(canary_percent__isnull=True) | Q(status="draft"), name="only_drafts_run_as_canary"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prompt.key} {self.version} ({self.status})"

    @property
    def label(self) -> str:
        return f"{self.prompt.key}@{self.version}"
