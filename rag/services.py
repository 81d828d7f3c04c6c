from __future__ import annotations

import uuid

from django.db import transaction

from rag.models import FaqEntry


@transaction.atomic
def faq_entries_replace(*, tenant_id: uuid.UUID, entries: list[dict]) -> int:
    """Replace the tenant's FAQ with `entries` ({question, answer, locale?, tags?})."""
    FaqEntry.objects.filter(tenant_id=tenant_id).delete()
    FaqEntry.objects.bulk_create(
        FaqEntry(tenant_id=tenant_id, question=entry["question"], answer=entry["answer"],
                 locale=entry.get("locale", "en"), tags=entry.get("tags", []))
        for entry in entries
    )
    return len(entries)
