"""A data subject's erasure (seed 001 responsibility 18: within 7 days), store by store.

`erasure_request_create` records the request and queues its run after commit. `erasure_run` claims
the request with a conditional UPDATE (two workers never run one request), then does each step of
STEPS not done yet, each in its own short tenant transaction that also records the step as done
with its count: a run killed between steps is resumed by the next claim (the sweep queues it once
its claim has lapsed) and does only what is left. Redis has no transaction: its step is idempotent
(deleting what is already gone deletes nothing), so a crash after it and before its commit only
repeats it.

What each store keeps (docs/privacy.md): inference records keep their ids, hashes, figures and
provenance, and lose input, output and context; HITL gates and decisions keep their facts (status,
reviewer, times) and lose the draft, the edit and the comment; RAG documents that mention the
subject are deleted with their chunks and the embedding-cache rows of those chunks; the response
cache entries listed under the subject's digests are deleted; idempotency records and the events
not yet relayed are deleted; usage facts keep their figures and lose the link to the inference.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Now
from django.utils import timezone

from capabilities import cache
from capabilities.models import IdempotencyRecord, InferenceRecord, InferenceSubject, UsageFact
from hitl.models import HitlDecision, HitlGate
from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.outbox.services import outbox_emit
from melmastoon_ai.subjects import normalized, subject_digest
from melmastoon_ai.tenancy.context import data_protection_writes, tenant_context
from melmastoon_ai.tenancy.models import Tenant
from privacy.models import ErasureRequest
from rag.models import Chunk, Document, EmbeddingCacheEntry

logger = logging.getLogger(__name__)
MIN_SEARCH_LENGTH = 3  # a shorter identifier would match documents by accident
StepCount = int | tuple[int, int] | None  # erased, or (found, erased); None: nothing to count


class IdentifierInvalid(ApplicationError):
    status = 400
    code = "invalid_request"


def check_identifier(*, kind: str, identifier: object) -> str:
    """The identifier with its spaces collapsed, or IdentifierInvalid (a contract error, never a
    half-written request)."""
    if kind not in ErasureRequest.Kind.values:
        raise IdentifierInvalid(
            f"identifier kinds are {', '.join(ErasureRequest.Kind.values)}.", details={"field": kind}
        )
    if not isinstance(identifier, str):
        raise IdentifierInvalid("identifiers are strings.", details={"field": kind})
    value = " ".join(identifier.split())
    if len(value) < MIN_SEARCH_LENGTH:
        raise IdentifierInvalid(f"an identifier has at least {MIN_SEARCH_LENGTH} characters.", details={"field": kind})
    if kind == ErasureRequest.Kind.EMAIL and "@" not in value:
        raise IdentifierInvalid("an email holds an @.", details={"field": kind})
    if kind == ErasureRequest.Kind.PHONE and sum(char.isdigit() for char in value) < 6:
        raise IdentifierInvalid("a phone number holds at least six digits.", details={"field": kind})
    return value


def erasure_request_create(
    *, tenant: Tenant, identifiers: list[tuple[str, str]], requested_by: str, reason: str = "", enqueue: bool = True
) -> ErasureRequest:
    """`identifiers`: (kind, value) pairs naming one subject; at least one."""
    if not identifiers:
        raise IdentifierInvalid("an erasure names at least one identifier (subject_refs, emails, phones, names).")
    checked = list(dict.fromkeys((kind, check_identifier(kind=kind, identifier=value)) for kind, value in identifiers))
    now = timezone.now()
    digests = list(
        dict.fromkeys(
            subject_digest(tenant_id=tenant.id, kind=kind, value=value, country=tenant.country or None)
            for kind, value in checked
        )
    )
    kinds = sorted({kind for kind, _ in checked})
    with tenant_context(tenant.id):
        erasure = ErasureRequest.objects.create(
            tenant=tenant,
            identifier_kinds=kinds,
            identifiers=[{"kind": kind, "value": value} for kind, value in checked],
            digests=digests,
            requested_by=requested_by[:200],
            reason=reason[:200],
            requested_at=now,
            due_at=now + dt.timedelta(days=settings.PRIVACY_ERASURE_DEADLINE_DAYS),
        )
        outbox_emit(
            topic="privacy.erasure_requested",
            key=str(erasure.id),
            tenant_id=tenant.id,
            payload={"erasure_id": str(erasure.id), "identifier_kinds": kinds, "due_at": erasure.due_at.isoformat()},
        )
        if enqueue:
            erasure_id, tenant_id = str(erasure.id), str(tenant.id)
            transaction.on_commit(lambda: erasure_enqueue(erasure_id=erasure_id, tenant_id=tenant_id))
    return erasure


def erasure_enqueue(*, erasure_id: str, tenant_id: str) -> None:
    from privacy.tasks import erase_subject

    erase_subject.delay(erasure_id, tenant_id)


# --- the run ------------------------------------------------------------------------------------


def _claim(*, tenant_id: uuid.UUID, erasure_id: uuid.UUID) -> bool:
    """Take the request for one run: open, and not held by a live run (its claim lapsed)."""
    with tenant_context(tenant_id):
        claimed = ErasureRequest.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=timezone.now()),
            tenant_id=tenant_id,
            pk=erasure_id,
            status__in=ErasureRequest.OPEN_STATUSES,
        ).update(
            status=ErasureRequest.Status.RUNNING,
            claimed_until=_lease(),
            attempts=F("attempts") + 1,
            started_at=Coalesce(F("started_at"), Now()),
        )
    return claimed == 1


def _lease() -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=settings.PRIVACY_ERASURE_CLAIM_SECONDS)


def erasure_run(*, erasure_id: uuid.UUID | str, tenant_id: uuid.UUID | str) -> str:
    """Run (or resume) one erasure; its status after. "running" means another run holds it."""
    erasure_id, tenant_id = uuid.UUID(str(erasure_id)), uuid.UUID(str(tenant_id))
    if not _claim(tenant_id=tenant_id, erasure_id=erasure_id):
        with tenant_context(tenant_id):
            status = (
                ErasureRequest.objects.filter(tenant_id=tenant_id, pk=erasure_id)
                .values_list("status", flat=True)
                .first()
            )
        return status or "missing"
    for name, step in STEPS:
        try:
            _run_step(tenant_id=tenant_id, erasure_id=erasure_id, name=name, step=step)
        except Exception as exc:
            _record_failure(tenant_id=tenant_id, erasure_id=erasure_id, step=name, error=exc)
            raise
    return _complete(tenant_id=tenant_id, erasure_id=erasure_id)


def _run_step(
    *, tenant_id: uuid.UUID, erasure_id: uuid.UUID, name: str, step: Callable[[ErasureRequest], StepCount]
) -> None:
    """One step and its record as done, in one transaction: both, or neither."""
    with tenant_context(tenant_id):
        erasure = ErasureRequest.objects.select_for_update().get(tenant_id=tenant_id, pk=erasure_id)
        if name in erasure.steps_done:
            return
        count = step(erasure)
        erasure.steps_done = [*erasure.steps_done, name]
        if count is not None:
            found, erased = count if isinstance(count, tuple) else (count, count)
            erasure.counts = {**erasure.counts, name: {"found": found, "erased": erased}}
        erasure.claimed_until = _lease()
        erasure.save(update_fields=["steps_done", "counts", "claimed_until", "targets"])


def _record_failure(*, tenant_id: uuid.UUID, erasure_id: uuid.UUID, step: str, error: Exception) -> None:
    """After the step rolled back: which step failed and the exception's class (never a value),
    and the claim given up so that a retry resumes at once."""
    with tenant_context(tenant_id):
        ErasureRequest.objects.filter(tenant_id=tenant_id, pk=erasure_id).update(
            last_error=f"{step}: {type(error).__name__}"[:500], claimed_until=None
        )
    logger.warning(
        "erasure step failed", extra={"erasure_id": str(erasure_id), "step": step, "error": type(error).__name__}
    )


def _complete(*, tenant_id: uuid.UUID, erasure_id: uuid.UUID) -> str:
    with tenant_context(tenant_id):
        erasure = ErasureRequest.objects.select_for_update().get(tenant_id=tenant_id, pk=erasure_id)
        if erasure.status == ErasureRequest.Status.COMPLETED:
            return erasure.status
        now = timezone.now()
        erasure.status, erasure.completed_at, erasure.claimed_until = ErasureRequest.Status.COMPLETED, now, None
        erasure.identifiers, erasure.targets, erasure.last_error = [], {}, ""
        erasure.save(update_fields=["status", "completed_at", "claimed_until", "identifiers", "targets", "last_error"])
        outbox_emit(
            topic="privacy.erasure_completed",
            key=str(erasure.id),
            tenant_id=tenant_id,
            payload={
                "erasure_id": str(erasure.id),
                "identifier_kinds": erasure.identifier_kinds,
                "stores": erasure.counts,
                "requested_at": erasure.requested_at.isoformat(),
                "due_at": erasure.due_at.isoformat(),
                "completed_at": now.isoformat(),
                "within_deadline": now <= erasure.due_at,
            },
        )
    return ErasureRequest.Status.COMPLETED


# --- the steps: each takes the locked request, acts on one store, returns its count ---------------


def search_terms(erasure: ErasureRequest, country: str | None) -> list[str]:
    """What a document's text is searched for: each identifier as asked and its normalised form."""
    forms = {
        form
        for item in erasure.identifiers
        for form in (item["value"], normalized(item["kind"], item["value"], country=country))
    }
    return sorted(form for form in forms if len(form) >= MIN_SEARCH_LENGTH)


def subject_refs(erasure: ErasureRequest) -> list[str]:
    return [item["value"] for item in erasure.identifiers if item["kind"] == ErasureRequest.Kind.SUBJECT_REF]


def collect_targets(erasure: ErasureRequest) -> None:
    """The ids every later step acts on, found while the lookups still work (the last step removes
    the digests and the context they are found by)."""
    tenant_id = erasure.tenant_id
    by_digest = InferenceSubject.objects.filter(tenant_id=tenant_id, digest__in=erasure.digests)
    lookup = Q(pk__in=by_digest.values("inference_id"))
    for ref in subject_refs(erasure):
        lookup |= Q(context__subject_ref=ref)
    inferences = list(InferenceRecord.objects.filter(lookup, tenant_id=tenant_id).values_list("id", "idempotency_key"))
    inference_ids = [str(pk) for pk, _ in inferences]
    gates = [
        str(pk)
        for pk in HitlGate.objects.filter(tenant_id=tenant_id, inference_id__in=inference_ids).values_list(
            "id", flat=True
        )
    ]
    country = Tenant.objects.filter(pk=tenant_id).values_list("country", flat=True).first() or None
    mention = Q()
    for term in search_terms(erasure, country):
        mention |= Q(text__icontains=term) | Q(title__icontains=term)
    documents = [str(pk) for pk in Document.objects.filter(mention, tenant_id=tenant_id).values_list("id", flat=True)]
    erasure.targets = {
        "inferences": inference_ids,
        "gates": gates,
        "documents": documents,
        "idempotency_keys": sorted({key for _, key in inferences if key}),
    }


def erase_hitl(erasure: ErasureRequest) -> int:
    gates = erasure.targets.get("gates", [])
    with data_protection_writes():  # decisions are append-only but for this
        HitlDecision.objects.filter(tenant_id=erasure.tenant_id, gate_id__in=gates).update(
            edited_output=None, comment=""
        )
    return HitlGate.objects.filter(tenant_id=erasure.tenant_id, pk__in=gates).update(draft_output={}, guest_names={})


def erase_idempotency(erasure: ErasureRequest) -> int:
    inferences = erasure.targets.get("inferences", [])
    deleted, _ = IdempotencyRecord.objects.filter(
        Q(key__in=erasure.targets.get("idempotency_keys", [])) | Q(response__id__in=inferences),
        tenant_id=erasure.tenant_id,
    ).delete()
    return deleted


def erase_outbox(erasure: ErasureRequest) -> int:
    """Events not relayed yet about the subject's rows; a relayed event has left already."""
    keys = [*erasure.targets.get("inferences", []), *erasure.targets.get("gates", [])]
    about = Q(key__in=keys)
    for ref in subject_refs(erasure):
        about |= Q(payload__subject_ref=ref)
    deleted, _ = OutboxEvent.objects.filter(about, tenant_id=erasure.tenant_id, published_at__isnull=True).delete()
    return deleted


def erase_usage_links(erasure: ErasureRequest) -> int:
    return UsageFact.objects.filter(
        tenant_id=erasure.tenant_id, inference_id__in=erasure.targets.get("inferences", [])
    ).update(inference=None)


def erase_documents(erasure: ErasureRequest) -> tuple[int, int]:
    documents = erasure.targets.get("documents", [])
    texts = Chunk.objects.filter(tenant_id=erasure.tenant_id, document_id__in=documents).values_list("text", flat=True)
    hashes = {hashlib.sha256(text.encode()).hexdigest() for text in texts}
    EmbeddingCacheEntry.objects.filter(tenant_id=erasure.tenant_id, text_sha256__in=hashes).delete()
    deleted, _ = Document.objects.filter(tenant_id=erasure.tenant_id, pk__in=documents).delete()
    return len(documents), deleted  # the rows deleted include the documents' chunks


def erase_response_cache(erasure: ErasureRequest) -> int:
    return cache.cache_forget_subject(tenant_id=str(erasure.tenant_id), digests=list(erasure.digests))


def erase_inferences(erasure: ErasureRequest) -> int:
    inferences = erasure.targets.get("inferences", [])
    InferenceSubject.objects.filter(tenant_id=erasure.tenant_id, inference_id__in=inferences).delete()
    return InferenceRecord.objects.filter(tenant_id=erasure.tenant_id, pk__in=inferences).update(
        input_redacted={}, output={}, context={}, erased_at=timezone.now()
    )


def _collect(erasure: ErasureRequest) -> None:
    collect_targets(erasure)


STEPS: tuple[tuple[str, Callable[[ErasureRequest], StepCount]], ...] = (
    ("collect", _collect),
    ("hitl", erase_hitl),
    ("idempotency", erase_idempotency),
    ("outbox", erase_outbox),
    ("usage", erase_usage_links),
    ("rag", erase_documents),
    ("response_cache", erase_response_cache),
    ("inferences", erase_inferences),
)


# --- the sweep (beat) ----------------------------------------------------------------------------


def erasure_sweep() -> dict[str, int]:
    """Under platform_access (the beat task): queue every open request no live run holds, and
    emit `privacy.erasure_overdue` once for each past its deadline."""
    now = timezone.now()
    open_requests = ErasureRequest.objects.filter(status__in=ErasureRequest.OPEN_STATUSES)
    idle = list(
        open_requests.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)).values_list("id", "tenant_id")
    )
    overdue = list(
        open_requests.filter(due_at__lt=now, overdue_alerted_at__isnull=True).values_list(
            "id", "tenant_id", "due_at", "status"
        )
    )
    alerted = 0
    for erasure_id, tenant_id, due_at, status in overdue:
        # the conditional UPDATE claims the alert: two sweeps at once emit it once
        if ErasureRequest.objects.filter(tenant_id=tenant_id, pk=erasure_id, overdue_alerted_at__isnull=True).update(
            overdue_alerted_at=now
        ):
            outbox_emit(
                topic="privacy.erasure_overdue",
                key=str(erasure_id),
                tenant_id=tenant_id,
                payload={
                    "erasure_id": str(erasure_id),
                    "due_at": due_at.isoformat(),
                    "status": status,
                    "overdue_seconds": int((now - due_at).total_seconds()),
                },
            )
            alerted += 1
    for erasure_id, tenant_id in idle:
        transaction.on_commit(lambda e=str(erasure_id), t=str(tenant_id): erasure_enqueue(erasure_id=e, tenant_id=t))
    return {"queued": len(idle), "overdue_alerted": alerted}
