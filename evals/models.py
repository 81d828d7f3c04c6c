"""Evaluation suites, golden cases, runs with their per-case results, and drift alerts.

All of these are platform-level tables (no tenant, no row-level security): golden sets are
written by the platform team, and a run's inferences are made as the platform's eval tenant
(settings.EVAL_TENANT_NAME), whose own tenant-owned rows (inference records, budget ledger)
stay under row-level security like every other tenant's. See docs/architecture.md, "Evals".
"""

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
    metrics = models.JSONField(
        default=list, blank=True, help_text='the metrics a run computes, e.g. ["schema_valid_rate", "mape"]'
    )
    config = models.JSONField(
        default=dict,
        blank=True,
        help_text=(
            'how outputs are read: {"label_field": "verdict", "positive_labels": ["anomalous"], '
            '"numeric_field": "suggested_price.amount", "text_field": "body", "case_max_ape": 0.1}'
        ),
    )
    thresholds = models.JSONField(default=dict, blank=True, help_text='{"schema_valid_rate": {"min": 1.0}, ...}')
    tolerances = models.JSONField(default=dict, blank=True, help_text="allowed regression against the active version")
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class GoldenCase(models.Model):
    """One input with what a good answer looks like: an exact output, fields, a label, a number
    or a rubric for text (see evals.metrics.score_case for the keys of `expected`)."""

    suite = models.ForeignKey(EvalSuite, on_delete=models.CASCADE, related_name="cases")
    key = models.SlugField(max_length=80, help_text="stable within the suite: JSONL import updates by key")
    input = models.JSONField()
    expected = models.JSONField(default=dict, blank=True)
    locale = models.CharField(max_length=8, default="en")
    tags = models.JSONField(default=list, blank=True)
    weight = models.FloatField(default=1.0)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["suite__key", "key"]
        constraints = [
            models.UniqueConstraint(fields=["suite", "key"], name="golden_case_key_per_suite"),
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="golden_case_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.suite.key}/{self.key}"


class EvalRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        FINISHED = "finished"
        FAILED = "failed"

    class Verdict(models.TextChoices):
        PASS = "pass"  # noqa: S105 - a verdict, not a password
        FAIL = "fail"
        INCONCLUSIVE = "inconclusive"  # no model answered any case: nothing was measured

    class Purpose(models.TextChoices):
        MANUAL = "manual"  # admin, API or command: usually a candidate before promotion
        DRIFT = "drift"  # the nightly re-run of an active version
        SHADOW = "shadow"  # a candidate replayed on a sample of last week's production (evals/services/shadow.py)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    suite = models.ForeignKey(EvalSuite, on_delete=models.PROTECT, related_name="runs")
    prompt_version = models.ForeignKey(
        "prompts.PromptVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="eval_runs"
    )
    model_name = models.CharField(max_length=100, blank=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.MANUAL)
    baseline = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="drift runs: the run this one is compared with",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    verdict = models.CharField(max_length=16, choices=Verdict.choices, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    thresholds = models.JSONField(default=dict, blank=True)
    cases_total = models.PositiveIntegerField(default=0)
    shadow_sample = models.JSONField(
        default=list,
        blank=True,
        help_text="shadow runs: the production inferences replayed ({inference_id, "
        "tenant_id}), drawn when the run was created",
    )
    started_by = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="last case finished; stale runs resume")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["prompt_version", "-finished_at"], name="evalrun_version_latest_idx"),
            models.Index(fields=["suite", "-created_at"], name="evalrun_suite_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.suite.key} {self.verdict or self.status} ({self.id})"


class EvalCaseResult(models.Model):
    """What one golden case gave in one run. Unique per (run, case): a resumed run skips the cases
    it has, and a case is never counted twice even if two workers race on it."""

    id = models.BigAutoField(primary_key=True)
    run = models.ForeignKey(EvalRun, on_delete=models.CASCADE, related_name="results")
    case = models.ForeignKey(
        GoldenCase,
        on_delete=models.PROTECT,
        related_name="results",
        null=True,
        blank=True,
        help_text="the golden case; empty for a shadow run's case",
    )
    replayed_inference_id = models.UUIDField(
        null=True, blank=True, help_text="shadow runs: the production inference replayed"
    )
    output = models.JSONField(null=True, blank=True)
    scores = models.JSONField(default=dict, blank=True, help_text="per-check values: schema_valid, ape, label...")
    failures = models.JSONField(default=list, blank=True)
    passed = models.BooleanField(default=False)
    inference_id = models.UUIDField(null=True, blank=True)
    provider = models.CharField(max_length=32, blank=True)
    model = models.CharField(max_length=100, blank=True)
    fallback_used = models.BooleanField(default=False)
    repaired = models.BooleanField(default=False)
    latency_ms = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=14, decimal_places=6, default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["run", "passed", "case__key"]
        constraints = [
            models.UniqueConstraint(fields=["run", "case"], name="one_result_per_run_case"),
            models.UniqueConstraint(
                fields=["run", "replayed_inference_id"],
                name="one_result_per_run_replayed_inference",
                condition=models.Q(replayed_inference_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} {'pass' if self.passed else 'fail'}"


class EvalCaseClaim(models.Model):
    """A worker evaluating one case of a run right now. Taken in a short transaction of its own
    before the case's inference (which runs holding no lock), given up when its result is written;
    a claim whose worker died is taken over once `claimed_until` has passed."""

    id = models.BigAutoField(primary_key=True)
    run = models.ForeignKey(EvalRun, on_delete=models.CASCADE, related_name="claims")
    case = models.ForeignKey(GoldenCase, on_delete=models.CASCADE, related_name="+")
    claimed_until = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "case"], name="one_claim_per_run_case")]

    def __str__(self) -> str:
        return f"{self.run_id} {self.case_id} until {self.claimed_until:%H:%M:%S}"


class DriftAlert(models.Model):
    """A breach seen by the nightly drift check: an eval metric worse than its baseline run, or a
    production signal worse than the window before it, beyond the tolerance."""

    class Kind(models.TextChoices):
        EVAL = "eval", "eval re-run vs baseline run"
        PRODUCTION = "production", "production signal vs previous window"

    id = models.BigAutoField(primary_key=True)
    suite = models.ForeignKey(EvalSuite, on_delete=models.PROTECT, related_name="drift_alerts")
    prompt_version = models.ForeignKey(
        "prompts.PromptVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="drift_alerts"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    metric = models.CharField(max_length=64)
    baseline_value = models.FloatField(null=True, blank=True)
    observed_value = models.FloatField(null=True, blank=True)
    tolerance = models.FloatField(default=0.0)
    run = models.ForeignKey(EvalRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    baseline_run = models.ForeignKey(EvalRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    details = models.JSONField(default=dict, blank=True)
    detected_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-detected_at"]

    def __str__(self) -> str:
        return f"{self.suite.key} {self.metric} {self.kind}"
