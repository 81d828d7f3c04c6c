"""A hotel's knowledge for retrieval: corpora of documents, cut into chunks with vectors.

Every table is tenant-owned (row-level security) and every query also filters by tenant.
A corpus pins one embedding model and version: its chunks are only ever compared with a query
embedded by the same model (no mixed vectors in one search). Re-embedding with another model
writes a new `generation` of chunks, and the corpus serves it only once complete.

Vectors are stored without a fixed dimension (`vector`), with `embedding_dim` beside them; the
HNSW indexes are partial expression indexes, one per dimension (384: MiniLM and the
deterministic embedder, 768: Vertex text-embedding-004), as pgvector documents for mixed
dimensions (docs/architecture.md, "Retrieval").
"""

from __future__ import annotations

import uuid

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from pgvector.django import VectorField

from melmastoon_ai.tenancy.models import TenantOwnedModel

INDEXED_DIMENSIONS = (384, 768)  # one partial HNSW index each (migration 0002)


class Corpus(TenantOwnedModel):
    class Kind(models.TextChoices):
        FAQ = "faq"
        POLICY = "policy"
        SOP = "sop"
        OTHER = "other"

    class Status(models.TextChoices):
        ACTIVE = "active"
        DISABLED = "disabled"  # kept, not searched

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.OTHER)
    embedding_model = models.CharField(max_length=100)
    # what the embedder reported on first use ("all-minilm-l6-v2@1.0.0"); a different one is refused
    embedding_version = models.CharField(max_length=200, blank=True, default="")
    embedding_dim = models.PositiveSmallIntegerField(default=0)
    generation = models.PositiveIntegerField(default=1)  # the chunks searched
    # a re-embed in progress (rag.services.corpus_reembed): the generation being written and the
    # model it is written with; 0 / "" when none. Search keeps serving `generation` meanwhile.
    next_generation = models.PositiveIntegerField(default=0, db_default=0)
    next_embedding_model = models.CharField(max_length=100, blank=True, default="", db_default="")
    next_embedding_version = models.CharField(max_length=200, blank=True, default="", db_default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="rag_corpus_tenant_name_uniq")]
        verbose_name_plural = "corpora"

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class Document(TenantOwnedModel):
    class Status(models.TextChoices):
        PENDING = "pending"
        INGESTING = "ingesting"
        READY = "ready"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    corpus = models.ForeignKey(Corpus, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=500)
    # what identifies the document within its corpus: the source URI, else the uploaded file's name
    source_key = models.CharField(max_length=1000)
    source_uri = models.CharField(max_length=1000, blank=True, default="")
    media_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)  # of the bytes of the current version
    content = models.BinaryField()  # the bytes of the current version, as uploaded
    text = models.TextField(blank=True, default="")  # the extracted text chunk offsets point into
    language = models.CharField(max_length=16, default="en")
    version = models.PositiveIntegerField(default=1)
    ingested_version = models.PositiveIntegerField(default=0)  # the version whose chunks are served
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    failure_reason = models.CharField(max_length=500, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["corpus", "source_key"], name="rag_document_source_uniq")]
        indexes = [models.Index(fields=["tenant", "status", "updated_at"], name="rag_document_status_idx")]

    def __str__(self) -> str:
        return self.title[:80]


class Chunk(TenantOwnedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    corpus = models.ForeignKey(Corpus, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="chunks")
    generation = models.PositiveIntegerField(default=1)
    ordinal = models.PositiveIntegerField()
    heading = models.CharField(max_length=500, blank=True, default="")  # the section it belongs to
    text = models.TextField()
    token_count = models.PositiveIntegerField()
    char_start = models.PositiveIntegerField()  # offsets into Document.text
    char_end = models.PositiveIntegerField()
    language = models.CharField(max_length=16, default="en")
    embedding = VectorField()
    embedding_dim = models.PositiveSmallIntegerField()
    search_vector = SearchVectorField(null=True)

    class Meta:
        ordering = ["document_id", "ordinal"]
        indexes = [models.Index(fields=["tenant", "corpus", "generation"], name="rag_chunk_corpus_gen_idx")]

    def __str__(self) -> str:
        return f"{self.document_id}#{self.ordinal}"


class ChunkLexeme(TenantOwnedModel):
    """The full-text side's inverted index, one row per (chunk, lexeme of its `search_vector`).

    Why a table and not only the GIN index on `search_vector`: under row-level security the
    planner may use an index for a query's own condition only when its operator is leakproof, and
    `tsvector @@ tsquery` is not (pg_proc.proleakproof), so as the app role the GIN index is never
    used and a full-text query reads every chunk of the tenant. Text equality is leakproof: the
    b-tree on (tenant, lexeme, chunk) answers "the tenant's chunks with this lexeme" from the
    index (docs/benchmarks.md, issue 17). Written with the chunks (rag.services.index_lexemes);
    the foreign key to rag_chunk is ON DELETE CASCADE in the database (migration 0004), so
    deleting chunks needs no extra query from Django."""

    id = models.BigAutoField(primary_key=True)
    chunk_id = models.UUIDField()
    lexeme = models.TextField()

    class Meta:
        indexes = [models.Index(fields=["tenant", "lexeme", "chunk_id"], name="rag_chunk_lexeme_idx")]


class EmbeddingCacheEntry(TenantOwnedModel):
    """A vector already computed, keyed by (model version, text hash): a re-ingest, a resumed
    ingest or a replaced document with unchanged paragraphs embeds nothing twice. Per tenant,
    so no tenant can learn through the cache what another one embedded."""

    id = models.BigAutoField(primary_key=True)
    model_version = models.CharField(max_length=200)
    text_sha256 = models.CharField(max_length=64)
    embedding = VectorField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "model_version", "text_sha256"], name="rag_embedding_cache_uniq")
        ]
