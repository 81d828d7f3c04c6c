from __future__ import annotations

import uuid

from privacy.models import ErasureRequest


def erasure_get(*, tenant_id: uuid.UUID, erasure_id: str) -> ErasureRequest | None:
    try:
        key = uuid.UUID(erasure_id)
    except ValueError:
        return None
    return ErasureRequest.objects.filter(tenant_id=tenant_id, pk=key).first()


def erasures_recent(*, tenant_id: uuid.UUID, limit: int = 100) -> list[ErasureRequest]:
    return list(ErasureRequest.objects.filter(tenant_id=tenant_id).order_by("-requested_at")[:limit])
