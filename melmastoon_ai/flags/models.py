"""Feature flags (seed 000: a flags table in PostgreSQL, refreshed every 30 s).

A row switches one registered flag globally (`tenant` empty) or for one tenant; a tenant's row
wins over the global one, which wins over the flag's registered default. The platform sets them
(admin page, `manage.py feature_flag`); every tenant-specific row is under row-level security like
any tenant-owned table, and the global rows are readable by every tenant's transactions.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from melmastoon_ai.tenancy.models import Tenant


class FeatureFlag(models.Model):
    key = models.CharField(max_length=100)
    tenant = models.ForeignKey(
        Tenant,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Empty: the flag for every tenant without a row of its own.",
    )
    enabled = models.BooleanField()
    note = models.CharField(max_length=200, blank=True, help_text="Why it is set this way (shown in the admin).")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["key", "tenant_id"]
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=Q(tenant__isnull=True), name="one_global_row_per_flag"),
            models.UniqueConstraint(fields=["key", "tenant"], name="one_row_per_flag_and_tenant"),
        ]

    def __str__(self) -> str:
        scope = f"tenant {self.tenant_id}" if self.tenant_id else "global"
        return f"{self.key} ({scope}): {'on' if self.enabled else 'off'}"
