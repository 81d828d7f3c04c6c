from __future__ import annotations

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from melmastoon_ai.history import history_user
from melmastoon_ai.tenancy.models import TenantOwnedModel


class Budget(TenantOwnedModel):
    """A cap on a tenant's spend per period: the whole tenant (feature "") or one feature."""

    class Period(models.TextChoices):
        MONTHLY = "monthly"
        DAILY = "daily"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    feature = models.CharField(max_length=64, blank=True, help_text="empty: the whole tenant")
    period = models.CharField(max_length=8, choices=Period.choices, default=Period.MONTHLY)
    token_limit = models.BigIntegerField(null=True, blank=True, validators=[MinValueValidator(0)])
    cost_limit_usd = models.DecimalField(
        max_digits=14, decimal_places=6, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    soft_cap_pct = models.PositiveSmallIntegerField(
        default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    hard_cap_pct = models.PositiveSmallIntegerField(
        default=100, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    enabled = models.BooleanField(default=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "feature"], name="one_budget_per_tenant_feature")]

    def __str__(self) -> str:
        return f"{self.feature or 'tenant'} {self.period}"


class BudgetPeriod(TenantOwnedModel):
    id = models.BigAutoField(primary_key=True)
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="periods")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    soft_cap_notified_at = models.DateTimeField(null=True, blank=True)
    hard_cap_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [models.UniqueConstraint(fields=["budget", "starts_at"], name="one_period_per_start")]

    def __str__(self) -> str:
        return f"{self.budget} {self.starts_at:%Y-%m-%d}"


class BudgetLedgerEntry(TenantOwnedModel):
    """One settlement, written in the transaction of its inference record: the durable truth."""

    id = models.BigAutoField(primary_key=True)
    period = models.ForeignKey(BudgetPeriod, on_delete=models.PROTECT, related_name="ledger")
    inference_id = models.UUIDField()
    tokens = models.BigIntegerField()
    cost_usd = models.DecimalField(max_digits=14, decimal_places=6)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["period"], name="budget_ledger_period_idx")]
        constraints = [models.UniqueConstraint(fields=["period", "inference_id"], name="one_settlement_per_inference")]

    def __str__(self) -> str:
        return f"{self.tokens} tokens {self.cost_usd} USD"
