from celery import shared_task

from rag.embedding import EmbeddingUnavailable
from rag.services import document_ingest, documents_stale, ingest_enqueue


@shared_task(
    name="rag.ingest_document",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(EmbeddingUnavailable,),
    retry_backoff=30,
    retry_backoff_max=900,
    max_retries=20,
)
def ingest_document(document_id: str, tenant_id: str) -> str:
    """Ingest a document's current version (the "RAG ingestor"). Redelivered after a worker died,
    it starts again: the embedding cache keeps what the first run embedded, and no chunk of the
    unfinished run was ever visible (rag/services.py)."""
    return document_ingest(document_id=document_id, tenant_id=tenant_id).status


@shared_task(name="rag.resume_stale", ignore_result=True)
def resume_stale() -> int:
    """Queue every document still pending, or ingesting for longer than RAG_STALE_MINUTES."""
    stale = documents_stale()
    for document_id, tenant_id in stale:
        ingest_enqueue(document_id=document_id, tenant_id=tenant_id)
    return len(stale)


@shared_task(name="rag.ingest_pending", ignore_result=True)
def ingest_pending(limit: int = 200) -> dict[str, int]:
    """The "RAG ingestor" job of seed 000 (deploy/cloudrun/job-rag-ingestor.yaml): ingest, in this
    process, the documents pending or stuck in ingestion for longer than RAG_STALE_MINUTES (the
    workers the upload queued them for did not get to them), up to `limit`; the rest wait for the
    next run. Each document is ingested
    as the worker's task does it: a failure marks that document and the job goes on."""
    outcomes: dict[str, int] = {}
    for document_id, tenant_id in documents_stale()[:limit]:
        status = document_ingest(document_id=document_id, tenant_id=tenant_id).status
        outcomes[status] = outcomes.get(status, 0) + 1
    return outcomes
