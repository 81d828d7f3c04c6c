"""Writing a tenant's knowledge: corpora, document uploads, ingestion (the "RAG ingestor").

Ingestion runs in three phases so that nothing is held while a model embeds:

1. *claim* (short tenant transaction): the document is marked `ingesting`, its bytes read;
2. *work* (no transaction): parse, chunk, embed in batches (the embedding cache first: a resumed
   or repeated ingest embeds nothing twice); the cache rows are written as batches finish;
3. *swap* (one tenant transaction): the document row is locked, checked to still be the version
   this run parsed, its old chunks deleted and the new ones inserted, status `ready`. Search runs
   under MVCC, so it sees the old version or the new one, never a mixture; a worker killed before
   the commit leaves the old version served and the document `ingesting`, which the task's
   redelivery (acks_late) or `rag.resume_stale` starts again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from pgvector import Vector

from melmastoon_ai.errors import ApplicationError, NotFound
from melmastoon_ai.tenancy.context import release_connection, tenant_context
from melmastoon_ai.tenancy.models import Tenant
from rag import parsing
from rag.chunking import TS_CONFIGS, ChunkSpan, chunk_text, detect_language
from rag.embedding import Embedder, EmbeddingUnavailable, embedder_for, first_available
from rag.models import Chunk, Corpus, Document, EmbeddingCacheEntry

logger = logging.getLogger(__name__)


class UnsupportedMediaType(ApplicationError):
    status = 415
    code = "unsupported_media_type"


class DocumentTooLarge(ApplicationError):
    status = 413
    code = "payload_too_large"


# --- corpora ------------------------------------------------------------------------------------


def corpus_create(*, tenant: Tenant, name: str, kind: str = Corpus.Kind.OTHER, embedding_model: str = "") -> Corpus:
    """A new corpus pinned to `embedding_model`, or to the first available of RAG_EMBEDDING_MODELS.
    Inside the caller's tenant transaction (the check embeds nothing)."""
    if kind not in Corpus.Kind.values:
        raise ApplicationError(f"kind must be one of {', '.join(Corpus.Kind.values)}", details={"kind": kind})
    try:
        embedder = embedder_for(embedding_model, tenant=tenant) if embedding_model else first_available(tenant=tenant)
    except EmbeddingUnavailable as exc:
        raise ApplicationError(str(exc), details={"embedding_model": embedding_model}) from exc
    if Corpus.objects.filter(tenant_id=tenant.id, name=name).exists():
        raise ApplicationError(f"a corpus named {name!r} exists already", details={"name": name})
    return Corpus.objects.create(
        tenant_id=tenant.id,
        name=name[:200],
        kind=kind,
        embedding_model=embedder.model,
        embedding_version=embedder.version,
        embedding_dim=embedder.dim,
    )


def corpus_for(*, tenant_id: uuid.UUID, corpus_id) -> Corpus:
    corpus = Corpus.objects.filter(tenant_id=tenant_id, pk=corpus_id).first()
    if corpus is None:
        raise NotFound("No such corpus.")
    return corpus


# --- documents ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    document: Document
    created: bool  # a new document (else a new version, or nothing new)
    changed: bool  # False: the same bytes as the current version; nothing will be ingested


def document_submit(
    *,
    tenant: Tenant,
    corpus: Corpus,
    data: bytes,
    media_type: str,
    title: str = "",
    source_key: str = "",
    source_uri: str = "",
    language: str = "",
    enqueue: bool = True,
) -> Submitted:
    """Store an uploaded document (inside the caller's tenant transaction) and queue its ingestion
    once that commits. The same bytes again change nothing; other bytes under the same source
    make a new version, which replaces the chunks of the old one when its ingestion completes."""
    if media_type not in parsing.SUPPORTED_MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"{media_type or 'no media type'} is not supported",
            details={
                "media_type": media_type,
                "supported": sorted(set(parsing.SUPPORTED_MEDIA_TYPES) - {parsing.FAQ_MEDIA_TYPE}),
            },
        )
    if len(data) > settings.RAG_MAX_DOCUMENT_BYTES:
        raise DocumentTooLarge(
            f"the document is {len(data)} bytes; at most {settings.RAG_MAX_DOCUMENT_BYTES}",
            details={"bytes": len(data), "limit": settings.RAG_MAX_DOCUMENT_BYTES},
        )
    if not data.strip():
        raise ApplicationError("the document is empty")
    digest = hashlib.sha256(data).hexdigest()
    key = (source_key or source_uri or title or digest)[:1000]
    document = (
        Document.objects.select_for_update().filter(tenant_id=tenant.id, corpus_id=corpus.id, source_key=key).first()
    )
    if document is not None and document.sha256 == digest and document.status != Document.Status.FAILED:
        return Submitted(document, created=False, changed=False)
    created = document is None
    if created:
        document = Document(tenant_id=tenant.id, corpus=corpus, source_key=key, version=1)
    else:
        document.version += 1
    document.title = (title or document.title or key)[:500]
    document.source_uri = source_uri[:1000]
    document.media_type, document.sha256, document.content = media_type, digest, data
    document.language = language[:16] if language else ""
    document.status, document.failure_reason, document.attempts = Document.Status.PENDING, "", 0
    document.save()
    if enqueue:
        document_id, tenant_id = str(document.id), str(tenant.id)
        transaction.on_commit(lambda: ingest_enqueue(document_id=document_id, tenant_id=tenant_id))
    return Submitted(document, created=created, changed=True)


def ingest_enqueue(*, document_id: str, tenant_id: str) -> None:
    from rag.tasks import ingest_document

    ingest_document.delay(document_id, tenant_id)


# --- ingestion ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IngestResult:
    document_id: str
    status: str
    chunks: int = 0
    embedded: int = 0  # vectors computed (the rest came from the embedding cache)
    reason: str = ""


@dataclass(frozen=True)
class _Claim:
    tenant: Tenant
    corpus: Corpus
    version: int
    sha256: str
    media_type: str
    content: bytes
    title: str
    language: str


def document_ingest(*, document_id: str, tenant_id: str, progress=None) -> IngestResult:
    """Ingest the document's current version. Raises EmbeddingUnavailable (the task retries);
    an unreadable document is marked `failed` with the reason, and the corpus keeps serving."""
    claim = _claim(document_id, tenant_id)
    release_connection()
    if claim is None:
        return IngestResult(document_id, "skipped")
    try:
        parsed = parsing.parse(claim.content, claim.media_type)
    except (parsing.DocumentUnreadable, parsing.UnsupportedMediaType) as exc:
        return _fail(document_id, claim, str(exc))
    language = claim.language or detect_language(parsed.text)
    embedder = _corpus_embedder(claim)
    spans = chunk_text(
        parsed.text,
        parsed.sections,
        max_tokens=settings.RAG_CHUNK_TOKENS,
        overlap_tokens=min(settings.RAG_CHUNK_OVERLAP_TOKENS, settings.RAG_CHUNK_TOKENS // 2),
        count=embedder.count_tokens,
    )
    if not spans:
        return _fail(document_id, claim, "the document has no text to index")
    texts = [embedding_text(span.heading, span.text) for span in spans]
    vectors, embedded = embed_cached(claim.tenant, embedder, texts, progress=progress)
    with tenant_context(claim.tenant.id):
        document = Document.objects.select_for_update().filter(tenant_id=claim.tenant.id, pk=document_id).first()
        if document is None or document.version != claim.version or document.sha256 != claim.sha256:
            return IngestResult(document_id, "superseded")
        # locked: a re-embed's switch to a new generation and this swap happen one after the other
        corpus = Corpus.objects.select_for_update().get(tenant_id=claim.tenant.id, pk=claim.corpus.id)
        if corpus.embedding_version and corpus.embedding_version != embedder.version:
            raise EmbeddingUnavailable(f"the corpus moved to {corpus.embedding_version} meanwhile")
        _swap_chunks(document, corpus, embedder, parsed, spans, vectors, language)
    return IngestResult(document_id, Document.Status.READY, chunks=len(spans), embedded=embedded)


def embedding_text(heading: str, text: str) -> str:
    """What is embedded and indexed for a chunk: its section heading gives a passage its topic."""
    return f"{heading}\n{text}" if heading else text


def _claim(document_id: str, tenant_id: str) -> _Claim | None:
    with tenant_context(tenant_id):
        document = (
            Document.objects.select_for_update()
            .select_related("corpus")
            .filter(tenant_id=tenant_id, pk=document_id)
            .first()
        )
        if document is None or document.status in (Document.Status.READY, Document.Status.FAILED):
            return None
        document.status, document.attempts = Document.Status.INGESTING, document.attempts + 1
        document.save(update_fields=["status", "attempts", "updated_at"])
        tenant = Tenant.objects.get(pk=tenant_id)
        return _Claim(
            tenant=tenant,
            corpus=document.corpus,
            version=document.version,
            sha256=document.sha256,
            media_type=document.media_type,
            content=bytes(document.content),
            title=document.title,
            language=document.language,
        )


def _fail(document_id: str, claim: _Claim, reason: str) -> IngestResult:
    with tenant_context(claim.tenant.id):
        Document.objects.filter(tenant_id=claim.tenant.id, pk=document_id, version=claim.version).update(
            status=Document.Status.FAILED, failure_reason=reason[:500], updated_at=timezone.now()
        )
    logger.info("rag document failed", extra={"document_id": document_id, "reason": reason[:200]})
    return IngestResult(document_id, Document.Status.FAILED, reason=reason)


def _corpus_embedder(claim: _Claim) -> Embedder:
    if not claim.corpus.embedding_model:
        return first_available(tenant=claim.tenant)
    embedder = embedder_for(claim.corpus.embedding_model, tenant=claim.tenant)
    if claim.corpus.embedding_version and embedder.version != claim.corpus.embedding_version:
        raise EmbeddingUnavailable(
            f"the corpus is indexed with {claim.corpus.embedding_version}, the embedder is "
            f"{embedder.version}: re-embed the corpus (a new generation) first"
        )
    return embedder


def _batches(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def embed_cached(tenant: Tenant, embedder: Embedder, texts: Sequence[str], *, progress=None) -> tuple[list, int]:
    """One vector per text: from the tenant's embedding cache, else embedded in batches (nothing
    held while embedding) and remembered. Returns (vectors, how many were computed)."""
    hashes = [hashlib.sha256(text.encode()).hexdigest() for text in texts]
    with tenant_context(tenant.id):
        known = dict(
            EmbeddingCacheEntry.objects.filter(
                tenant_id=tenant.id,
                model_version=embedder.version,
                text_sha256__in=set(hashes),
            ).values_list("text_sha256", "embedding")
        )
    release_connection()
    missing = list(dict.fromkeys(digest for digest in hashes if digest not in known))
    by_hash = dict(zip(hashes, texts, strict=True))
    if progress is not None:
        progress(len(texts) - len(missing))
    for batch in _batches(missing, settings.RAG_EMBED_BATCH):
        vectors = embedder.embed([by_hash[digest] for digest in batch], country=tenant.country or None)
        with tenant_context(tenant.id):
            EmbeddingCacheEntry.objects.bulk_create(
                [
                    EmbeddingCacheEntry(
                        tenant_id=tenant.id, model_version=embedder.version, text_sha256=digest, embedding=vector
                    )
                    for digest, vector in zip(batch, vectors, strict=True)
                ],
                ignore_conflicts=True,
            )
        release_connection()
        known.update(zip(batch, vectors, strict=True))
        if progress is not None:
            progress(sum(hashes.count(digest) for digest in batch))
    return [known[digest] for digest in hashes], len(missing)


def _swap_chunks(
    document: Document,
    corpus: Corpus,
    embedder: Embedder,
    parsed: parsing.Parsed,
    spans: list[ChunkSpan],
    vectors: list,
    language: str,
) -> None:
    """Under the document's row lock, in the caller's transaction: the new chunks replace the old."""
    Chunk.objects.filter(tenant_id=document.tenant_id, document_id=document.id).delete()
    rows = []
    for ordinal, (span, vector) in enumerate(zip(spans, vectors, strict=True)):
        chunk_language = detect_language(span.text, default=language) if len(span.text) > 200 else language
        rows.append(
            Chunk(
                tenant_id=document.tenant_id,
                corpus_id=corpus.id,
                document_id=document.id,
                generation=corpus.generation,
                ordinal=ordinal,
                heading=span.heading[:500],
                text=span.text,
                token_count=span.tokens,
                char_start=span.start,
                char_end=span.end,
                language=chunk_language,
                embedding=Vector(list(vector)),
                embedding_dim=len(vector),
            )
        )
    chunks_insert(document.tenant_id, rows)
    if not corpus.embedding_version:  # a corpus made without a model (the FAQ migration): pinned now
        corpus.embedding_model, corpus.embedding_version, corpus.embedding_dim = (
            embedder.model,
            embedder.version,
            embedder.dim,
        )
        corpus.save(update_fields=["embedding_model", "embedding_version", "embedding_dim", "updated_at"])
    document.text = parsed.text
    document.language = language
    if parsed.title and document.title == document.source_key:
        document.title = parsed.title[:500]
    document.status, document.failure_reason = Document.Status.READY, ""
    document.ingested_version = document.version
    document.save(
        update_fields=["text", "language", "title", "status", "failure_reason", "ingested_version", "updated_at"]
    )


# --- re-embedding a corpus with another model (or a new version of its own) ---------------------


@dataclass(frozen=True)
class ReembedResult:
    corpus_id: str
    status: str  # reembedded, current (nothing to do), empty
    generation: int = 0  # the generation served afterwards
    documents: int = 0  # documents re-embedded by this run (a resumed run skips the done ones)
    chunks: int = 0
    embedded: int = 0  # vectors computed (the rest came from the embedding cache)
    embedding_model: str = ""


def corpus_reembed(
    *, tenant: Tenant, corpus_id, model: str = "", force: bool = False, batch_documents: int = 64, progress=None
) -> ReembedResult:
    """Write a new generation of the corpus's chunks with `model` (default: the corpus's own
    model, e.g. after its file version changed), then serve it. Search keeps serving the old
    generation until the last document is done; the switch (the corpus's model, version and
    generation, the old chunks deleted) is one transaction.

    Resumable: the target generation and model are recorded on the corpus first
    (`next_generation`, `next_embedding_*`), each batch of documents is written in its own short
    transaction, and a run started again skips the documents whose new chunks exist already. The
    texts are re-embedded from the chunks as stored (no re-parse), in batches of RAG_EMBED_BATCH
    across documents, with nothing held while embedding; the embedding cache is per model version.
    A document ingested meanwhile (with the old model) is picked up again before the switch."""
    with tenant_context(tenant.id):
        corpus = Corpus.objects.select_for_update().filter(tenant_id=tenant.id, pk=corpus_id).first()
        if corpus is None:
            raise NotFound("No such corpus.")
        target = model or corpus.next_embedding_model or corpus.embedding_model
    release_connection()
    try:
        embedder = embedder_for(target, tenant=tenant)
    except EmbeddingUnavailable as exc:
        raise ApplicationError(str(exc), details={"embedding_model": target}) from exc
    with tenant_context(tenant.id):
        corpus = Corpus.objects.select_for_update().get(tenant_id=tenant.id, pk=corpus_id)
        if corpus.next_generation and corpus.next_embedding_version != embedder.version:
            # an unfinished re-embed with another model: its chunks are dropped, this one starts over
            Chunk.objects.filter(tenant_id=tenant.id, corpus_id=corpus.id, generation=corpus.next_generation).delete()
            corpus.next_generation = 0
        if not corpus.next_generation:
            if corpus.embedding_version == embedder.version and not force:
                return ReembedResult(
                    str(corpus.id), "current", generation=corpus.generation, embedding_model=corpus.embedding_version
                )
            corpus.next_generation = corpus.generation + 1
            corpus.next_embedding_model, corpus.next_embedding_version = embedder.model, embedder.version
            corpus.save(
                update_fields=["next_generation", "next_embedding_model", "next_embedding_version", "updated_at"]
            )
        generation = corpus.next_generation
    release_connection()
    documents = chunks = embedded = 0
    while True:
        todo = _reembed_todo(tenant.id, corpus.id, generation, batch_documents)
        if not todo:
            with tenant_context(tenant.id):
                corpus = Corpus.objects.select_for_update().get(tenant_id=tenant.id, pk=corpus_id)
                if _reembed_todo(tenant.id, corpus.id, generation, 1):  # ingested meanwhile: once more
                    continue
                if corpus.next_generation != generation:
                    raise ApplicationError(
                        "another re-embed of this corpus took over", details={"corpus_id": str(corpus.id)}
                    )
                Chunk.objects.filter(tenant_id=tenant.id, corpus_id=corpus.id).exclude(generation=generation).delete()
                corpus.generation, corpus.embedding_model = generation, embedder.model
                corpus.embedding_version, corpus.embedding_dim = embedder.version, embedder.dim
                corpus.next_generation, corpus.next_embedding_model, corpus.next_embedding_version = 0, "", ""
                corpus.save(
                    update_fields=[
                        "generation",
                        "embedding_model",
                        "embedding_version",
                        "embedding_dim",
                        "next_generation",
                        "next_embedding_model",
                        "next_embedding_version",
                        "updated_at",
                    ]
                )
            status = "reembedded" if documents or chunks else "empty"
            return ReembedResult(
                str(corpus.id),
                status,
                generation=generation,
                documents=documents,
                chunks=chunks,
                embedded=embedded,
                embedding_model=embedder.version,
            )
        rows = [row for rows in todo.values() for row in rows]
        vectors, computed = embed_cached(tenant, embedder, [embedding_text(row.heading, row.text) for row in rows])
        with tenant_context(tenant.id):
            # only documents still served as read (a newer ingest replaced the others: next round)
            current = {
                document_id
                for (document_id,) in Document.objects.filter(tenant_id=tenant.id, pk__in=list(todo))
                .values_list("id")
                .select_for_update()
            }
            fresh = [
                Chunk(
                    tenant_id=tenant.id,
                    corpus_id=corpus.id,
                    document_id=row.document_id,
                    generation=generation,
                    ordinal=row.ordinal,
                    heading=row.heading,
                    text=row.text,
                    token_count=row.token_count,
                    char_start=row.char_start,
                    char_end=row.char_end,
                    language=row.language,
                    embedding=Vector(list(vector)),
                    embedding_dim=len(vector),
                )
                for row, vector in zip(rows, vectors, strict=True)
                if row.document_id in current
            ]
            still = {
                document_id
                for (document_id,) in Chunk.objects.filter(tenant_id=tenant.id, pk__in=[row.id for row in rows])
                .values_list("document_id")
                .distinct()
            }
            fresh = [chunk for chunk in fresh if chunk.document_id in still]
            Chunk.objects.filter(tenant_id=tenant.id, document_id__in=still, generation=generation).delete()
            chunks_insert(tenant.id, fresh)
        release_connection()
        documents, chunks, embedded = documents + len(still), chunks + len(fresh), embedded + computed
        if progress is not None:
            progress(len(fresh))


def _reembed_todo(tenant_id, corpus_id, generation: int, limit: int) -> dict:
    """Up to `limit` documents of the corpus with served chunks (another generation) and none of
    `generation` yet, with those chunks: {document id: [chunk, ...]} in ordinal order."""
    with tenant_context(tenant_id):
        done = Chunk.objects.filter(tenant_id=tenant_id, corpus_id=corpus_id, generation=generation).values(
            "document_id"
        )
        ids = list(
            Chunk.objects.filter(tenant_id=tenant_id, corpus_id=corpus_id)
            .exclude(generation=generation)
            .exclude(document_id__in=done)
            .order_by("document_id")
            .values_list("document_id", flat=True)
            .distinct()[:limit]
        )
        todo: dict = {document_id: [] for document_id in ids}
        for chunk in (
            Chunk.objects.filter(tenant_id=tenant_id, document_id__in=ids)
            .exclude(generation=generation)
            .defer("embedding", "search_vector")
            .order_by("document_id", "ordinal")
        ):
            todo[chunk.document_id].append(chunk)
    release_connection()
    return todo


_CHUNK_COLUMNS = (
    ("id", "uuid"),
    ("tenant_id", "uuid"),
    ("corpus_id", "uuid"),
    ("document_id", "uuid"),
    ("generation", "integer"),
    ("ordinal", "integer"),
    ("heading", "text"),
    ("text", "text"),
    ("token_count", "integer"),
    ("char_start", "integer"),
    ("char_end", "integer"),
    ("language", "text"),
    ("embedding", "text"),
    ("embedding_dim", "integer"),
)
CHUNK_INSERT_BATCH = 1000


def chunks_insert(tenant_id, chunks: Sequence[Chunk]) -> None:
    """Insert chunks with their `search_vector` (each in its own language's configuration:
    stemming, stop words) and their lexeme rows, in the caller's transaction: one INSERT ...
    SELECT FROM unnest(one array per column) per CHUNK_INSERT_BATCH chunks, 14 parameters
    whatever the count, instead of a multi-row VALUES of 14 placeholders per chunk and a second
    pass for the text search vector."""
    names = ", ".join(name for name, _ in _CHUNK_COLUMNS)
    arrays = ", ".join(f"%s::{kind}[]" for _, kind in _CHUNK_COLUMNS)
    selected = ", ".join("embedding::vector" if name == "embedding" else name for name, _ in _CHUNK_COLUMNS)
    sql = (
        f"INSERT INTO rag_chunk ({names}, search_vector) SELECT {selected}, to_tsvector({TS_CONFIG_SQL}, "
        f"coalesce(heading, '') || ' ' || text) FROM unnest({arrays}) AS rows ({names})"
    )
    with connection.cursor() as cursor:
        for batch in _batches(list(chunks), CHUNK_INSERT_BATCH):
            for chunk in batch:
                if chunk.id is None:
                    chunk.id = uuid.uuid4()
            columns = [
                [str(getattr(chunk, name)) if kind == "uuid" else getattr(chunk, name) for chunk in batch]
                for name, kind in _CHUNK_COLUMNS
                if name != "embedding"
            ]
            columns.insert(12, [vector_text(chunk.embedding) for chunk in batch])
            cursor.execute(sql, columns)
            index_lexemes(
                cursor, "c.tenant_id = %s AND c.id = ANY(%s::uuid[])", [tenant_id, [str(chunk.id) for chunk in batch]]
            )


def vector_text(vector) -> str:
    values = vector.to_list() if isinstance(vector, Vector) else vector
    return "[" + ",".join(repr(float(value)) for value in values) + "]"


def index_lexemes(cursor, where: str, params: list) -> None:
    """The full-text side's inverted index (rag.models.ChunkLexeme) for the chunks `where` selects
    (alias `c`), from their `search_vector`: run after it is written, in the same transaction."""
    cursor.execute(
        "INSERT INTO rag_chunklexeme (tenant_id, chunk_id, lexeme) SELECT c.tenant_id, c.id, w.lexeme "
        "FROM rag_chunk c CROSS JOIN LATERAL unnest(tsvector_to_array(c.search_vector)) AS w(lexeme) "
        f"WHERE {where}",
        params,
    )


TS_CONFIG_SQL = (
    "(CASE language "
    + " ".join(f"WHEN '{language}' THEN '{config}'" for language, config in TS_CONFIGS.items())
    + " ELSE 'simple' END)::regconfig"
)


def documents_stale(*, older_than_minutes: int | None = None) -> list[tuple[str, str]]:
    """(document id, tenant id) of every document waiting or stuck in ingestion: across tenants,
    through the audited platform path (the beat task's sweep)."""
    from melmastoon_ai.tenancy.context import platform_access

    minutes = settings.RAG_STALE_MINUTES if older_than_minutes is None else older_than_minutes
    cutoff = timezone.now() - timedelta(minutes=minutes)
    with platform_access(actor="rag.resume_stale", reason="restart stuck or pending ingestions"):
        rows = Document.objects.filter(
            status__in=[Document.Status.PENDING, Document.Status.INGESTING], updated_at__lte=cutoff
        ).values_list("id", "tenant_id")[:1000]
        return [(str(document_id), str(tenant_id)) for document_id, tenant_id in rows]


# --- the FAQ corpus -----------------------------------------------------------------------------

FAQ_CORPUS_NAME = "FAQ"


def faq_corpus(*, tenant: Tenant) -> Corpus:
    corpus = Corpus.objects.filter(tenant_id=tenant.id, kind=Corpus.Kind.FAQ, name=FAQ_CORPUS_NAME).first()
    return corpus or corpus_create(tenant=tenant, name=FAQ_CORPUS_NAME, kind=Corpus.Kind.FAQ)


def faq_document_bytes(question: str, answer: str) -> bytes:
    return json.dumps({"question": question, "answer": answer}, ensure_ascii=False, sort_keys=True).encode()


def faq_entries_replace(*, tenant_id: uuid.UUID, entries: list[dict], enqueue: bool = True) -> list[str]:
    """Replace the tenant's FAQ corpus with `entries` ({question, answer, locale?}), one document
    each, inside the caller's tenant transaction. Nothing is embedded here (no model call under
    a transaction): each new or changed entry's ingestion is queued once the transaction commits
    (`rag.ingest_document`), or, with `enqueue=False`, left pending for `rag.resume_stale`, the
    ingestor job or `manage.py rag_ingest --pending`. Returns the ids of the documents to ingest."""
    tenant = Tenant.objects.get(pk=tenant_id)
    corpus = faq_corpus(tenant=tenant)
    keys, changed = [], []
    for entry in entries:
        key = "faq:" + hashlib.sha256(entry["question"].strip().casefold().encode()).hexdigest()[:32]
        keys.append(key)
        submitted = document_submit(
            tenant=tenant,
            corpus=corpus,
            source_key=key,
            title=entry["question"][:500],
            data=faq_document_bytes(entry["question"], entry["answer"]),
            media_type=parsing.FAQ_MEDIA_TYPE,
            language=entry.get("locale", ""),
            enqueue=enqueue,
        )
        if submitted.changed:
            changed.append(str(submitted.document.id))
    Document.objects.filter(tenant_id=tenant_id, corpus=corpus).exclude(source_key__in=keys).delete()
    return changed
