from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from melmastoon_ai.tenancy.models import TenantOwnedModel


class FaqEntry(TenantOwnedModel):
    """One question and answer of a hotel's own FAQ/SOPs; `tutor.answer` searches them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    question = models.TextField()
    answer = models.TextField()
    locale = models.CharField(max_length=16, default="en")
    tags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["tenant", "locale"], name="faq_tenant_locale_idx")]
        verbose_name = "FAQ entry"
        verbose_name_plural = "FAQ entries"

    def __str__(self) -> str:
        return self.question[:80]
