from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F
from django.db.models.fields.json import KT
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
    prompt = models.ForeignKey(
        "prompts.Prompt", null=True, blank=True, on_delete=models.PROTECT, related_name="capabilities"
    )
    default_model = models.ForeignKey("routing.Model", on_delete=models.PROTECT, related_name="+")
    offline_model = models.ForeignKey(
        "routing.Model",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="preferred when the caller is offline",
    )
    auxiliary_models = ArrayField(
        models.CharField(max_length=100),
        default=list,
        blank=True,
        help_text="pre-steps such as Document AI or Speech-to-Text",
    )
    fallback_chain = ArrayField(
        models.CharField(max_length=100),
        default=list,
        help_text="model names tried after the default, in order; ends in deterministic",
    )
    explanation_chain = ArrayField(
        models.CharField(max_length=100),
        default=list,
        blank=True,
        help_text="a second stage: the models that explain or annotate the first stage's answer, in order "
        "(capabilities/stages.py); empty = one stage",
    )
    hitl_rule = models.CharField(
        max_length=64, default="never", help_text="never, always, deviation_over_pct(N), on_auto_block, accept(role)"
    )
    latency_target_ms = models.PositiveIntegerField()
    cost_class = models.CharField(max_length=8, choices=CostClass.choices)
    cache_ttl_seconds = models.PositiveIntegerField(default=0, help_text="0 = never cached")
    allowed_providers = ArrayField(
        models.CharField(max_length=32),
        default=list,
        blank=True,
        help_text="provider kinds that may see this capability's data; empty = all",
    )
    input_schema = models.JSONField()
    output_schema = models.JSONField()
    examples = models.JSONField(default=list)
    output_type = models.CharField(max_length=64)
    eval_suite_key = models.CharField(max_length=64, blank=True)
    max_output_tokens = models.PositiveIntegerField(default=1024)
    uses_rag = models.BooleanField(default=False)
    phase = models.PositiveSmallIntegerField(default=0)
    enabled = models.BooleanField(default=True)
    stream_field = models.CharField(
        max_length=64,
        blank=True,
        help_text="the output's text field streamed as Server-Sent Events (docs/api.md); empty = not streamed",
    )
    chat_mapping = models.JSONField(
        default=dict,
        blank=True,
        help_text="how OpenAI-style chat messages map to the input and the output to the message content "
        "(capabilities/chat_mapping.py); empty = not chat-compatible",
    )
    seeded = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="field -> hash of the value seed_catalog last wrote: a field that no longer matches it was "
        "changed by an operator, and the seed leaves it alone (capabilities/services/seed.py)",
    )
    history = HistoricalRecords(get_user=history_user, excluded_fields=["seeded"])

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
    trace_id = models.CharField(max_length=32, blank=True, help_text="W3C trace id of the request, 32 hex")
    trail = models.JSONField(default=dict, help_text="the decision trail (capabilities/trail.py): what a replay pins")
    created_at = models.DateTimeField(default=timezone.now)
    # set when a data subject's erasure emptied the input, output and context (privacy/); ids,
    # hashes, figures and provenance stay
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="inference_tenant_recent_idx"),
            models.Index(fields=["tenant", "capability", "-created_at"], name="inference_tenant_cap_idx"),
            models.Index(fields=["tenant", "request_id"], name="inference_tenant_request_idx"),
            # the inference browser's subject filter (GET /api/v1/ai/inferences?subject_ref=)
            models.Index(
                F("tenant"), KT("context__subject_ref"), F("created_at").desc(), name="inference_tenant_subject_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.capability} {self.id}"


class InferenceSubject(TenantOwnedModel):
    """A salted per-tenant digest of one identifier of the data subject an inference is about
    (melmastoon_ai/subjects.py): its `subject_ref`, an email, a phone, a guest name. What an
    erasure looks records up by; the identifier itself is never stored."""

    id = models.BigAutoField(primary_key=True)
    inference = models.ForeignKey(InferenceRecord, on_delete=models.CASCADE, related_name="subjects")
    digest = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["tenant", "digest"], name="inference_subject_digest_idx")]

    def __str__(self) -> str:
        return f"{self.inference_id} {self.digest[:12]}"


class UsageFact(TenantOwnedModel):
    """One row per call for reporting (seed 001 responsibility 16: ai_calls_fact)."""

    class Outcome(models.TextChoices):
        OK = "ok"
        DEGRADED = "degraded"
        CACHED = "cached"

    id = models.BigAutoField(primary_key=True)
    # null for a call that is not an inference (an /embed call: capability "embeddings")
    inference = models.OneToOneField(
        InferenceRecord, on_delete=models.PROTECT, related_name="usage_fact", null=True, blank=True
    )
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
    # a model after the first of the chain answered (the deterministic fallback included)
    fallback_used = models.BooleanField(default=False)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "ai_calls_fact"
        verbose_name = verbose_name_plural = "usage and cost"
        # A covering (tenant, day) INCLUDE (...) index for the usage report was measured and
        # dropped: the report reads all of a tenant's rows in the window, the planner keeps the
        # heap, and the index weighed three quarters of the table (docs/benchmarks.md).
        indexes = [
            models.Index(fields=["tenant", "day"], name="ai_calls_fact_tenant_day_idx"),
            models.Index(fields=["tenant", "capability", "day"], name="ai_calls_fact_tenant_cap_idx"),
            # the BigQuery export's keyset (capabilities/reporting/bigquery_export.py)
            models.Index(fields=["created_at", "id"], name="ai_calls_fact_created_id_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.capability} {self.outcome}"


class UsageDaily(TenantOwnedModel):
    """The daily rollup of ai_calls_fact (issue 19): one row per (tenant, day, capability, feature,
    model, provider) of a closed day, with the sums and counts the usage report shows and a latency
    histogram (capabilities/reporting/rollup.py: bucket indexes and their counts, exact below
    64 ms, 32 buckets per power of two above). Written only by the rollup job
    (`usage_rollup_days`), which replaces a day's rows in one transaction; the report reads these
    rows for the days the job has closed and the raw facts for the others (today)."""

    id = models.BigAutoField(primary_key=True)
    day = models.DateField()
    capability = models.CharField(max_length=64)
    feature = models.CharField(max_length=64, blank=True)
    model = models.CharField(max_length=100)
    provider = models.CharField(max_length=32)
    calls = models.BigIntegerField()
    input_tokens = models.BigIntegerField()
    output_tokens = models.BigIntegerField()
    cost_usd = models.DecimalField(max_digits=20, decimal_places=6)
    cache_hits = models.BigIntegerField()
    degraded = models.BigIntegerField()
    fallbacks = models.BigIntegerField()
    latency_buckets = ArrayField(models.IntegerField())  # ascending bucket indexes
    latency_counts = ArrayField(models.BigIntegerField())  # calls in each of them

    class Meta:
        db_table = "ai_calls_daily"
        verbose_name = verbose_name_plural = "usage rollup (daily)"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "day", "capability", "feature", "model", "provider"], name="ai_calls_daily_group_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.capability} {self.model}"


class UsageRollupState(models.Model):
    """The rollup's high-water mark (one row, id 1): every day up to `rolled_through` is in
    ai_calls_daily; later days are read from ai_calls_fact. Platform-wide, no tenant data."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    rolled_through = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "usage rollup state"

    def __str__(self) -> str:
        return f"rolled through {self.rolled_through}"


class BigQueryExportState(models.Model):
    """The BigQuery export's high-water mark (one row, id 1): every fact up to (`created_at`, `fact_id`)
    in keyset order has been accepted by BigQuery (capabilities/reporting/bigquery_export.py).
    Platform-wide, no tenant data."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    created_at = models.DateTimeField(null=True, blank=True, help_text="the last exported fact's created_at")
    fact_id = models.BigIntegerField(default=0, help_text="the last exported fact's id")
    exported = models.BigIntegerField(default=0, help_text="facts exported so far")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "BigQuery export state"

    def __str__(self) -> str:
        return f"exported through {self.created_at} #{self.fact_id}"


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


class ForecastBatch(TenantOwnedModel):
    """`pricing.demand_forecast` over many requests (room types, date ranges) as one job: the 1 h
    batch target of seed 001 §7. Submitted by the API, run by a Celery task (capabilities/tasks.py)
    item by item through the ordinary pipeline, polled by the API."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        COMPLETED = "completed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    items = models.JSONField(help_text="the DemandForecastRequest inputs, in order")
    context = models.JSONField(default=dict)
    results = models.JSONField(default=list, help_text="per item: index, inference_id, degraded, output or error")
    claimed_until = models.DateTimeField(null=True, blank=True, help_text="a running batch's worker lease")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="forecast_batch_recent_idx")]

    def __str__(self) -> str:
        return f"forecast batch {self.id} {self.status}"


class AsyncInference(TenantOwnedModel):
    """`POST /api/v1/ai/complete` with `Prefer: respond-async`: the request waits here for a Celery
    worker (capabilities/async_inference.py), which runs the ordinary pipeline with this row's id
    as the inference id. The request (with the caller's personal data) is kept only until the run
    ends; the answer is then the InferenceRecord of the same id."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    request = models.JSONField(
        null=True, blank=True, help_text="capability, input, context, cache directives; emptied when the run ends"
    )
    capability = models.CharField(max_length=100)
    idempotency_key = models.CharField(max_length=200, blank=True, default="")
    error = models.JSONField(null=True, blank=True, help_text="the error envelope's code, message, details")
    claimed_until = models.DateTimeField(null=True, blank=True, help_text="a running request's worker lease")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="async_inference_idempotency_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"async inference {self.id} {self.status}"
