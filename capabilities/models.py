from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

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
    history = HistoricalRecords()

    class Meta:
        ordering = ["phase", "id"]
        verbose_name_plural = "capabilities"

    def __str__(self) -> str:
        return f"{self.id} {self.version}"

    @property
    def chain(self) -> list[str]:
        return [self.default_model.name, *self.fallback_chain]
