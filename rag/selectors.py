from __future__ import annotations

import uuid

from rag.models import FaqEntry
from routing.providers.base import FaqEntry as FallbackFaqEntry

MAX_FAQ_ENTRIES = 2000


def faq_entries_for(*, tenant_id: uuid.UUID) -> tuple[FallbackFaqEntry, ...]:
    """The tenant's FAQ as the deterministic tutor searches it (RLS also binds the read)."""
    rows = FaqEntry.objects.filter(tenant_id=tenant_id).values_list("id", "question", "answer", "locale")
    return tuple(
        FallbackFaqEntry(id=str(pk), question=question, answer=answer, locale=locale)
        for pk, question, answer, locale in rows[:MAX_FAQ_ENTRIES]
    )
