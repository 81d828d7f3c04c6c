from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from melmastoon_ai.history import history_user
from melmastoon_ai.tenancy.models import TenantOwnedModel
from prompts.models import SEMVER
from routing.models import CostClass

CAPABILITY_ID = RegexValidator(r"^[a-z][a-z_]*\.[a-z][a-z_]*$", "Capability ids look like domain.action")


class Capability(models.Model):
    """One row of the capability catalog (seed 001 §7): what callers name instead of a model.

    The input and output JSON Schemas are versioned with the capability: changing either needs
    a new `version` (capabilities.services.catalog.capability_update enforces it).
    """

    id = models.CharField(primary_key=True, max_length=64, validators=[CAPABILITY_ID])
    version = models.CharField(max_length=32, validators=[SEMVER], default="1.0.0")
    description = models.TextField(blank=True)
    prompt = models.ForeignKey("prompts.Prompt", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="capabilities")
    default_model = models.ForeignKey("routing.Model", on_delete=models.PROTECT, related_name="+")
    offline_model = models.ForeignKey("routing.Model", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+", help_text="preferred when the caller is offline")
    auxiliary_models = ArrayField(models.CharField(max_length=100), default=list, blank=True,
                                  help_text="pre-steps such as Document AI or Speech-to-Text")
    fallback_chain = ArrayField(models.CharField(max_length=100), default=list,
                                help_text="model names tried after the default, in order; ends in deterministic")
    hitl_rule = models.CharField(max_length=64, default="never",
                                 help_text="never, always, deviation_over_pct(N), on_auto_block, accept(role)")
    latency_target_ms = models.PositiveIntegerField()
    cost_class = models.CharField(max_length=8, choices=CostClass.choices)
    cache_ttl_seconds = models.PositiveIntegerField(default=0, help_text="0 = never cached")
    allowed_providers = ArrayField(models.CharField(max_length=32), default=list, blank=True,
                                   help_text="provider kinds that may see this capability's data; empty = all")
    input_schema = models.JSONField()
    output_schema = models.JSONField()
    examples = models.JSONField(default=list)
    output_type = models.CharField(max_length=64)
    eval_suite_key = models.CharField(max_length=64, blank=True)
    max_output_tokens = models.PositiveIntegerField(default=1024)
    uses_rag = models.BooleanField(default=False)
    phase = models.PositiveSmallIntegerField(default=0)
    enabled = models.BooleanField(default=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["phase", "id"]
        verbose_name_plural = "capabilities"

    def __str__(self) -> str:
        return f"{self.id} {self.version}"

    @property
    def chain(self) -> list[str]:
        return [self.default_model.name, *self.fallback_chain]


class InferenceRecord(TenantOwnedModel):
    """What happened for one `complete` call: the provenance of an AI artifact (seed 001 decision 6).

    Inputs are stored redacted (never raw PII); outputs as returned. Append-only in practice:
    only a HITL decision later links to it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request_id = models.CharField(max_length=128)
    capability = models.CharField(max_length=64)
    capability_version = models.CharField(max_length=32)
    feature = models.CharField(max_length=64, blank=True)
    prompt_key = models.CharField(max_length=64, blank=True)
    prompt_version = models.CharField(max_length=32, blank=True)
    provider = models.CharField(max_length=32)
    model = models.CharField(max_length=100)
    degraded = models.BooleanField(default=False)
    cache_hit = models.BooleanField(default=False)
    input_hash = models.CharField(max_length=80)
    output_hash = models.CharField(max_length=80)
    input_redacted = models.JSONField()
    output = models.JSONField()
    context = models.JSONField(default=dict)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=14, decimal_places=6, default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    overhead_ms = models.PositiveIntegerField(default=0)
    provenance = models.JSONField()
    idempotency_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="inference_tenant_recent_idx"),
            models.Index(fields=["tenant", "capability", "-created_at"], name="inference_tenant_cap_idx"),
            models.Index(fields=["tenant", "request_id"], name="inference_tenant_request_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.capability} {self.id}"


class UsageFact(TenantOwnedModel):
    """One row per call for reporting (seed 001 responsibility 16: ai_calls_fact)."""

    class Outcome(models.TextChoices):
        OK = "ok"
        DEGRADED = "degraded"
        CACHED = "cached"

    id = models.BigAutoField(primary_key=True)
    # null for a call that is not an inference (an /embed call: capability "embeddings")
    inference = models.OneToOneField(InferenceRecord, on_delete=models.PROTECT, related_name="usage_fact",
                                     null=True, blank=True)
    day = models.DateField()
    capability = models.CharField(max_length=64)
    feature = models.CharField(max_length=64, blank=True)
    model = models.CharField(max_length=100)
    provider = models.CharField(max_length=32)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=14, decimal_places=6, default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    cache_hit = models.BooleanField(default=False)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "ai_calls_fact"
        indexes = [
            models.Index(fields=["tenant", "day"], name="ai_calls_fact_tenant_day_idx"),
            models.Index(fields=["tenant", "capability", "day"], name="ai_calls_fact_tenant_cap_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.capability} {self.outcome}"


class IdempotencyRecord(TenantOwnedModel):
    """A `complete` call made with an Idempotency-Key: claimed (committed, `in_progress`) before the
    work starts, so a concurrent duplicate sees it at once; `completed` with the stored response
    after. A claim whose holder died is taken over once `claimed_until` has passed."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"

    id = models.BigAutoField(primary_key=True)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=80)
    state = models.CharField(max_length=16, choices=State.choices, default=State.COMPLETED)
    claimed_until = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="idempotency_key_per_tenant")]

    def __str__(self) -> str:
        return self.key


class ModerationBlock(TenantOwnedModel):
    """A request refused by input moderation (422 content_blocked): what was flagged, never the text."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request_id = models.CharField(max_length=128)
    capability = models.CharField(max_length=64)
    feature = models.CharField(max_length=64, blank=True)
    categories = models.JSONField(help_text="category -> score, for the flagged categories")
    moderators = models.JSONField(default=list)
    input_hash = models.CharField(max_length=80)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="moderation_block_recent_idx")]

    def __str__(self) -> str:
        return f"{self.capability} blocked {sorted(self.categories)}"
