"""Reading a tenant's knowledge: hybrid search (`rag_search`) and the desktop's offline copy.

`rag_search` fuses two candidate lists by reciprocal rank fusion (RRF, k=60):

- *vector*: the query embedded by each corpus's own model, nearest chunks by cosine distance
  through the partial HNSW index of that dimension, with `SET LOCAL hnsw.ef_search` from
  RAG_EF_SEARCH[use_case] and `hnsw.iterative_scan = relaxed_order` (pgvector 0.8), so that the
  tenant and corpus filters do not starve the index scan (docs/benchmarks.md measures it);
  candidates under RAG_MIN_SIMILARITY_PERCENT are dropped;
- *full text*: PostgreSQL `tsvector` of each chunk in its language's configuration, queried with
  the query's lexemes in its own language's configuration: chunks with all of them first, then
  chunks with any of them (a bounded number ranked), by `ts_rank`; the matching chunks are found
  through the lexeme index `rag_chunklexeme` (a b-tree the planner may use under RLS).

Every query filters by tenant besides row-level security (two layers). The query is embedded
with no transaction or connection held; the searches run in one short tenant transaction.
When a corpus's model cannot embed the query, that corpus is searched by full text alone
(`degraded`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from melmastoon_ai.tenancy.context import release_connection, tenant_context
from melmastoon_ai.tenancy.models import Tenant
from rag.chunking import detect_language, ts_config
from rag.embedding import EDGE_MODEL, EmbeddingUnavailable, embedder_for
from rag.models import INDEXED_DIMENSIONS, Chunk, Corpus, Document

RRF_K = 60
MAX_K = 50


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    document_id: str
    corpus_id: str
    title: str
    heading: str
    text: str
    char_start: int
    char_end: int
    language: str
    source_uri: str
    score: float  # the fused (RRF) score
    similarity: float | None  # cosine similarity of the vector side, None when only full text found it
    lexical_rank: float | None
    embedding_model: str

    def as_dict(self) -> dict:
        return {
            "chunk_id": self.chunk_id,
            "document_id": self.document_id,
            "corpus_id": self.corpus_id,
            "title": self.title,
            "heading": self.heading,
            "text": self.text,
            "citation": {
                "document_id": self.document_id,
                "title": self.title,
                "source_uri": self.source_uri,
                "char_start": self.char_start,
                "char_end": self.char_end,
            },
            "language": self.language,
            "score": round(self.score, 6),
            "similarity": None if self.similarity is None else round(self.similarity, 4),
            "lexical_rank": None if self.lexical_rank is None else round(self.lexical_rank, 4),
        }


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    ef_search: int
    corpora: list[str]
    embedding_models: list[str]
    mode: str  # hybrid, lexical (no query vector could be had), or none (no corpus)
    degraded: bool = False
    notes: list[str] = field(default_factory=list)

    def provenance(self) -> dict:
        return {
            "corpora": self.corpora,
            "chunks": [{"id": hit.chunk_id, "score": round(hit.score, 6)} for hit in self.hits],
            "ef_search": self.ef_search,
            "embedding_models": self.embedding_models,
            "mode": self.mode,
            "degraded": self.degraded,
        }


def ef_search_for(use_case: str) -> int:
    table = settings.RAG_EF_SEARCH
    return int(table.get(use_case) or table["default"])


def _searchable_corpora(tenant_id, corpora: Sequence | None) -> list[Corpus]:
    queryset = Corpus.objects.filter(tenant_id=tenant_id, status=Corpus.Status.ACTIVE).exclude(embedding_version="")
    if corpora is not None:
        queryset = queryset.filter(pk__in=list(corpora))
    return list(queryset)


def rag_search(
    *,
    tenant: Tenant,
    query: str,
    corpora: Sequence | None = None,
    k: int = 8,
    use_case: str = "default",
    locale: str = "",
) -> SearchResult:
    """The top `k` chunks of the tenant's corpora (all active ones, or `corpora`) for `query`.
    Opens its own short tenant transactions; call it with no transaction open (a caller's outer
    transaction, a test's, is joined)."""
    k = max(1, min(int(k), MAX_K))
    ef_search = max(ef_search_for(use_case), k)
    with tenant_context(tenant.id):
        searchable = _searchable_corpora(tenant.id, corpora)
    release_connection()
    if not searchable or not query.strip():
        return SearchResult([], ef_search, [str(corpus.id) for corpus in searchable], [], "none")
    vectors: dict[str, list[float]] = {}
    notes: list[str] = []
    for model in dict.fromkeys(corpus.embedding_model for corpus in searchable):
        version = next(corpus.embedding_version for corpus in searchable if corpus.embedding_model == model)
        try:
            embedder = embedder_for(model, tenant=tenant)
            if embedder.version != version:
                raise EmbeddingUnavailable(f"{model} is now {embedder.version}, the corpus has {version}")
            vectors[version] = embedder.embed([query], country=tenant.country or None)[0]
        except EmbeddingUnavailable as exc:
            notes.append(str(exc))
    release_connection()  # a flag or manifest read may have taken one
    language = locale.split("-")[0] if locale else detect_language(query)
    candidates = max(settings.RAG_CANDIDATES, k)
    with tenant_context(tenant.id), connection.cursor() as cursor:
        # SET LOCAL both, in one round trip
        cursor.execute(
            "SELECT set_config('hnsw.ef_search', %s, true), set_config('hnsw.iterative_scan', 'relaxed_order', true)",
            [str(int(ef_search))],
        )
        ranked_vector: dict[str, tuple[int, float]] = {}
        for version, vector in vectors.items():
            group = [corpus for corpus in searchable if corpus.embedding_version == version]
            for rank, (chunk_id, similarity) in enumerate(
                _vector_candidates(cursor, tenant.id, group, vector, candidates)
            ):
                ranked_vector.setdefault(chunk_id, (rank, similarity))
        lexical = _lexical_candidates(cursor, tenant.id, searchable, query, language, candidates)
        fused: dict[str, float] = {}
        for chunk_id, (rank, _similarity) in ranked_vector.items():
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
        for rank, (chunk_id, _rank) in enumerate(lexical):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
        top = sorted(fused, key=lambda chunk_id: (-fused[chunk_id], chunk_id))[:k]
        hits = _hits(tenant.id, top, fused, ranked_vector, dict(lexical), searchable)
    models = sorted({corpus.embedding_version for corpus in searchable})
    mode = "hybrid" if vectors else "lexical"
    return SearchResult(
        hits,
        ef_search,
        [str(corpus.id) for corpus in searchable],
        models,
        mode,
        degraded=len(vectors) < len(models),
        notes=notes,
    )


def _corpus_condition(corpora: Sequence[Corpus]) -> tuple[str, list]:
    clauses, params = [], []
    for corpus in corpora:
        clauses.append("(c.corpus_id = %s AND c.generation = %s)")
        params += [corpus.id, corpus.generation]
    return "(" + " OR ".join(clauses) + ")", params


def vector_literal(vector: Sequence[float]) -> str:
    return "[" + ",".join(f"{float(value):.7g}" for value in vector) + "]"


def _vector_candidates(
    cursor, tenant_id, corpora: list[Corpus], vector: Sequence[float], limit: int
) -> list[tuple[str, float]]:
    dim = len(vector)
    if dim not in INDEXED_DIMENSIONS:
        raise ValueError(f"no HNSW index for {dim} dimensions")
    condition, params = _corpus_condition(corpora)
    minimum = settings.RAG_MIN_SIMILARITY_PERCENT / 100
    # the partial index's predicate (embedding_dim = <literal>) and expression must appear as is
    cursor.execute(
        f"SELECT id, 1 - distance FROM (SELECT c.id, c.embedding::vector({dim}) <=> %s::vector({dim}) AS distance "
        f"FROM rag_chunk c WHERE c.tenant_id = %s AND c.embedding_dim = {dim} AND {condition} "
        f"ORDER BY c.embedding::vector({dim}) <=> %s::vector({dim}) LIMIT %s) AS nearest "
        "WHERE 1 - distance >= %s ORDER BY distance",
        [vector_literal(vector), tenant_id, *params, vector_literal(vector), limit, minimum],
    )
    return [(str(chunk_id), float(similarity)) for chunk_id, similarity in cursor.fetchall()]


LEXICAL_SCAN = 500  # matches ranked at most per full-text query (ranking is per matching row)
LEXICAL_WALK = 2000  # chunks of the rarest lexeme checked at most for an every-lexeme match


def _lexical_candidates(
    cursor, tenant_id, corpora: list[Corpus], query: str, language: str, limit: int
) -> list[tuple[str, float]]:
    """Chunks matching every lexeme of the query (in its language's configuration) first, then
    chunks matching any of them, each by `ts_rank`, found through the lexeme index
    (rag.models.ChunkLexeme: under RLS the GIN index on `search_vector` is not usable, its `@@`
    not being leakproof). Every lexeme: the chunks of the tenant's rarest query lexeme (at most
    LEXICAL_WALK of them: when every lexeme of the query is that common, an arbitrary share)
    checked against all of them, at most LEXICAL_SCAN matches ranked. Any lexeme (only when the
    first part found fewer than `limit`): LEXICAL_SCAN chunks at most, shared out evenly over the
    query's lexemes present in the tenant's chunks (all of a rare one's chunks when it has fewer
    than its share), ranked.

    One statement (was four round trips: the query's lexemes, their counts, each part): on a
    loaded machine every round trip waits for the scheduler as long as a part takes to run."""
    condition, params = _corpus_condition(corpora)
    tenant = str(tenant_id)
    cursor.execute(
        "WITH words AS (SELECT DISTINCT lexeme FROM unnest(to_tsvector(%s::regconfig, %s))), "
        # how many of the tenant's chunks carry each lexeme, counted from the index up to LEXICAL_WALK + 1
        "counts AS (SELECT w.lexeme, (SELECT count(*) FROM (SELECT 1 FROM rag_chunklexeme l WHERE l.tenant_id = %s "
        "AND l.lexeme = w.lexeme LIMIT %s) AS capped) AS n FROM words w), "
        "q AS (SELECT to_tsquery('simple', string_agg(quote_literal(lexeme), ' & ' ORDER BY lexeme)) AS every_q, "
        "to_tsquery('simple', string_agg(quote_literal(lexeme), ' | ' ORDER BY lexeme)) AS any_q, "
        "coalesce(bool_and(n > 0), false) AS all_present, "
        "ceil(%s::numeric / nullif(count(*) FILTER (WHERE n > 0), 0))::int AS share FROM counts), "
        'rarest AS (SELECT lexeme FROM counts ORDER BY n, lexeme COLLATE "C" LIMIT 1), '
        "every_match AS (SELECT id, rank FROM (SELECT c.id, ts_rank(c.search_vector, q.every_q) AS rank "
        "FROM q, rarest, LATERAL (SELECT l.chunk_id FROM rag_chunklexeme l WHERE l.tenant_id = %s "
        "AND l.lexeme = rarest.lexeme LIMIT %s) AS l JOIN rag_chunk c ON c.id = l.chunk_id "
        # every lexeme's row first, probed in the lexeme index (rarest first): most walked chunks
        # miss one and are never read from rag_chunk; `@@` decides for the rest
        "WHERE q.all_present AND NOT EXISTS (SELECT 1 FROM (SELECT lexeme FROM counts ORDER BY n) AS w "
        "WHERE NOT EXISTS (SELECT 1 FROM rag_chunklexeme o WHERE o.tenant_id = %s AND o.lexeme = w.lexeme "
        "AND o.chunk_id = l.chunk_id)) "
        f"AND c.tenant_id = %s AND {condition} AND c.search_vector @@ q.every_q LIMIT %s) "
        "AS matches ORDER BY rank DESC, id LIMIT %s), "
        "any_match AS (SELECT id, rank FROM (SELECT c.id, ts_rank(c.search_vector, q.any_q) AS rank FROM q, "
        "(SELECT DISTINCT p.chunk_id FROM counts w CROSS JOIN LATERAL (SELECT l.chunk_id FROM rag_chunklexeme l "
        "WHERE l.tenant_id = %s AND l.lexeme = w.lexeme LIMIT (SELECT share FROM q)) AS p WHERE w.n > 0) AS ids "
        f"JOIN rag_chunk c ON c.id = ids.chunk_id WHERE c.tenant_id = %s AND {condition} "
        "AND (SELECT count(*) FROM every_match) < %s) AS matches ORDER BY rank DESC, id LIMIT %s) "
        "SELECT id, rank FROM (SELECT id, rank, 0 AS part FROM every_match UNION ALL SELECT id, rank, 1 FROM "
        "any_match WHERE id NOT IN (SELECT id FROM every_match)) AS found ORDER BY part, rank DESC, id LIMIT %s",
        [
            ts_config(language),
            query,
            tenant,
            LEXICAL_WALK + 1,
            LEXICAL_SCAN,
            tenant,
            LEXICAL_WALK,
            tenant,
            tenant,
            *params,
            LEXICAL_SCAN,
            limit,
            tenant,
            tenant,
            *params,
            limit,
            limit,
            limit,
        ],
    )
    return [(str(chunk_id), float(rank)) for chunk_id, rank in cursor.fetchall()]


def _passages(tenant_id, ids: Sequence[str]):
    """The tenant's chunks with these ids, with what a hit shows of their document."""
    return (
        Chunk.objects.filter(tenant_id=tenant_id, pk__in=list(ids))
        .select_related("document")
        .only(
            "id",
            "corpus_id",
            "document_id",
            "heading",
            "text",
            "char_start",
            "char_end",
            "language",
            "document__title",
            "document__source_uri",
        )
    )


def _hit(
    chunk: Chunk,
    *,
    score: float = 0.0,
    similarity: float | None = None,
    lexical_rank: float | None = None,
    embedding_model: str = "",
) -> Hit:
    return Hit(
        chunk_id=str(chunk.id),
        document_id=str(chunk.document_id),
        corpus_id=str(chunk.corpus_id),
        title=chunk.document.title,
        heading=chunk.heading,
        text=chunk.text,
        char_start=chunk.char_start,
        char_end=chunk.char_end,
        language=chunk.language,
        source_uri=chunk.document.source_uri,
        score=score,
        similarity=similarity,
        lexical_rank=lexical_rank,
        embedding_model=embedding_model,
    )


def _hits(
    tenant_id, top: list[str], fused: dict, ranked_vector: dict, lexical: dict, corpora: list[Corpus]
) -> list[Hit]:
    if not top:
        return []
    models = {corpus.id: corpus.embedding_version for corpus in corpora}
    rows = {str(chunk.id): chunk for chunk in _passages(tenant_id, top)}
    return [
        _hit(
            rows[chunk_id],
            score=fused[chunk_id],
            similarity=ranked_vector.get(chunk_id, (None, None))[1],
            lexical_rank=lexical.get(chunk_id),
            embedding_model=models.get(rows[chunk_id].corpus_id, ""),
        )
        for chunk_id in top
        if chunk_id in rows
    ]


def chunks_by_id(*, tenant_id, ids: Sequence[str]) -> dict[str, Hit]:
    """The tenant's chunks with these ids, as hits without scores (a replay pins the passages its
    original was given: the ones still there, by id)."""
    return {str(chunk.id): _hit(chunk) for chunk in _passages(tenant_id, ids)}


# --- the desktop's offline copy -----------------------------------------------------------------


def rag_snapshot(*, tenant_id: uuid.UUID) -> dict:
    """The tenant's searchable MiniLM corpora, chunks and vectors, for the desktop's offline search
    (read under the caller's tenant transaction), with the SHA-256 of their canonical JSON."""
    corpora = [corpus for corpus in _searchable_corpora(tenant_id, None) if corpus.embedding_model == EDGE_MODEL]
    chunks = (
        Chunk.objects.filter(tenant_id=tenant_id, corpus_id__in=[corpus.id for corpus in corpora])
        .select_related("document")
        .order_by("corpus_id", "document_id", "ordinal")
    )
    generations = {corpus.id: corpus.generation for corpus in corpora}
    body = {
        "corpora": [
            {
                "id": str(corpus.id),
                "name": corpus.name,
                "kind": corpus.kind,
                "embedding_model": corpus.embedding_version,
                "dim": corpus.embedding_dim,
            }
            for corpus in corpora
        ],
        "chunks": [
            {
                "id": str(chunk.id),
                "corpus_id": str(chunk.corpus_id),
                "document_id": str(chunk.document_id),
                "title": chunk.document.title,
                "heading": chunk.heading,
                "text": chunk.text,
                "language": chunk.language,
                "char_start": chunk.char_start,
                "char_end": chunk.char_end,
                "embedding": [round(float(value), 6) for value in chunk.embedding],
            }
            for chunk in chunks
            if generations.get(chunk.corpus_id) == chunk.generation
        ],
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return body | {"sha256": hashlib.sha256(canonical.encode()).hexdigest()}


def document_counts(*, tenant_id, corpus_id) -> dict[str, int]:
    counts = {status: 0 for status in Document.Status.values}
    for status in Document.objects.filter(tenant_id=tenant_id, corpus_id=corpus_id).values_list("status", flat=True):
        counts[status] += 1
    return counts


def faq_entries_for(*, tenant_id: uuid.UUID) -> list[dict]:
    """The tenant's FAQ corpus as question and answer pairs (the snapshot's `faq`), ready ones only."""
    rows = (
        Document.objects.filter(
            tenant_id=tenant_id, corpus__tenant_id=tenant_id, corpus__kind=Corpus.Kind.FAQ, status=Document.Status.READY
        )
        .order_by("created_at")
        .values_list("id", "title", "text", "language")
    )
    return [
        {"id": str(pk), "question": title, "answer": text, "locale": language} for pk, title, text, language in rows
    ]
