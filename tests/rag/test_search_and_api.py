"""Hybrid search and the /rag API: citations, provenance, tenant isolation, bad input, and the
recall of the HNSW index against exact search on a small corpus (quality, not time)."""

from __future__ import annotations

import random

import pytest
from django.db import connection

from melmastoon_ai.tenancy.context import tenant_context
from rag.models import Chunk, Corpus, Document
from rag.selectors import rag_search, vector_literal
from tests.rag.support import POLICY_HTML, POLICY_MD, ingest, make_corpus, make_pdf

pytestmark = pytest.mark.django_db


def test_hybrid_search_finds_by_words_and_returns_citations(tenant_a):
    corpus = make_corpus(tenant_a)
    ingest(tenant_a, corpus, POLICY_MD.encode(), "text/markdown", "rules.md")
    ingest(tenant_a, corpus, POLICY_HTML.encode(), "text/html", "breakfast.html")
    result = rag_search(tenant=tenant_a, query="When is breakfast served?", k=3, use_case="api")
    assert result.mode == "hybrid" and result.ef_search == 100
    top = result.hits[0]
    assert "Breakfast is served in the garden room" in top.text and top.title == "Breakfast and parking"
    assert top.lexical_rank is not None and top.score > 0
    with tenant_context(tenant_a.id):
        document = Document.objects.get(tenant_id=tenant_a.id, pk=top.document_id)
    assert document.text[top.char_start : top.char_end] == top.text
    provenance = result.provenance()
    assert provenance["corpora"] == [str(corpus.id)] and provenance["chunks"][0]["id"] == top.chunk_id
    assert provenance["embedding_models"] == ["deterministic-ngram-hash-384"]


def test_search_api_answers_with_hits_citations_and_provenance(client_a, tenant_a):
    corpus = make_corpus(tenant_a)
    ingest(tenant_a, corpus, POLICY_MD.encode(), "text/markdown", "rules.md")
    response = client_a.post("/api/v1/ai/rag/search", {"query": "Are dogs allowed?", "k": 2}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert len(body["hits"]) <= 2 and "Dogs under ten kilograms" in body["hits"][0]["text"]
    hit = body["hits"][0]
    assert set(hit) >= {"chunk_id", "document_id", "title", "text", "score", "citation"}
    assert hit["citation"]["char_end"] > hit["citation"]["char_start"]
    assert body["provenance"]["retrieval"]["ef_search"] == 100
    assert body["provenance"]["retrieval"]["chunks"][0]["id"] == hit["chunk_id"]
    bad = client_a.post("/api/v1/ai/rag/search", {"query": "", "k": 500}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request"


def test_another_tenant_never_finds_the_chunks_through_search_or_the_api(client_b, tenant_a, tenant_b):
    corpus = make_corpus(tenant_a)
    ingest(tenant_a, corpus, POLICY_MD.encode(), "text/markdown", "rules.md")
    make_corpus(tenant_b, name="Theirs")
    assert rag_search(tenant=tenant_b, query="Are dogs allowed?").hits == []
    # naming tenant A's corpus does not help either
    assert rag_search(tenant=tenant_b, query="Are dogs allowed?", corpora=[corpus.id]).hits == []
    body = client_b.post(
        "/api/v1/ai/rag/search", {"query": "Dogs under ten kilograms", "corpora": [str(corpus.id)]}, format="json"
    ).json()
    assert body["hits"] == []
    upload = client_b.post(
        f"/api/v1/ai/rag/corpora/{corpus.id}/documents",
        {"title": "x", "text": "y", "media_type": "text/plain"},
        format="json",
    )
    assert upload.status_code == 404


def test_upload_api_ingests_versions_and_refuses_bad_input_with_its_code(client_a, tenant_a, settings):
    created = client_a.post(
        "/api/v1/ai/rag/corpora",
        {"name": "SOPs", "kind": "sop", "embedding_model": "deterministic-ngram-hash-384"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    corpus_id = created.json()["id"]
    url = f"/api/v1/ai/rag/corpora/{corpus_id}/documents"
    from django.core.files.uploadedfile import SimpleUploadedFile

    pdf = SimpleUploadedFile(
        "towels.pdf", make_pdf(["Towels are changed every second day."]), content_type="application/pdf"
    )
    first = client_a.post(url, {"file": pdf}, format="multipart")
    assert first.status_code == 202, first.json()
    assert first.json()["status"] == "pending" and first.json()["version"] == 1
    pdf.seek(0)
    assert client_a.post(url, {"file": pdf}, format="multipart").status_code == 200  # same bytes: nothing new
    from rag.services import document_ingest

    document_ingest(document_id=first.json()["id"], tenant_id=str(tenant_a.id))  # what the worker does
    detail = client_a.get(f"/api/v1/ai/rag/documents/{first.json()['id']}").json()
    assert (detail["status"], detail["chunks"]) == ("ready", 1)

    zipped = SimpleUploadedFile("rules.zip", b"PK\x03\x04zip", content_type="application/zip")
    refused = client_a.post(url, {"file": zipped}, format="multipart")
    assert refused.status_code == 415 and refused.json()["error"]["code"] == "unsupported_media_type"
    settings.RAG_MAX_DOCUMENT_BYTES = 2048
    big = SimpleUploadedFile("big.txt", b"word " * 1000, content_type="text/plain")
    too_large = client_a.post(url, {"file": big}, format="multipart")
    assert too_large.status_code == 413 and too_large.json()["error"]["code"] == "payload_too_large"
    text = client_a.post(
        url,
        {"title": "Quiet hours", "text": "Quiet hours start at 22:00.", "media_type": "text/markdown"},
        format="json",
    )
    assert text.status_code == 202
    with tenant_context(tenant_a.id):  # nothing half-written: the refused uploads left no row
        assert sorted(Document.objects.filter(tenant_id=tenant_a.id).values_list("title", flat=True)) == [
            "Quiet hours",
            "towels.pdf",
        ]
    listed = client_a.get("/api/v1/ai/rag/corpora").json()
    assert [(row["name"], row["documents"], row["chunks"]) for row in listed] == [("SOPs", 2, 1)]
    assert client_a.delete(f"/api/v1/ai/rag/documents/{first.json()['id']}").status_code == 204
    with tenant_context(tenant_a.id):
        assert not Chunk.objects.filter(tenant_id=tenant_a.id).exists()


def test_the_rag_endpoints_are_in_the_schema(client_a):
    paths = client_a.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    for path in (
        "/api/v1/ai/rag/search",
        "/api/v1/ai/rag/corpora",
        "/api/v1/ai/rag/corpora/{corpus_id}/documents",
        "/api/v1/ai/rag/documents/{document_id}",
    ):
        assert path in paths


def test_hnsw_recall_at_10_against_exact_search_on_a_small_corpus(tenant_a, tenant_b):
    """3,000 clustered unit vectors for tenant A beside 3,000 of tenant B (the filter the index must
    get past): the index's top 10 (ef_search 40, iterative scan) against the exact top 10."""
    rng = random.Random(17)
    dim = 384

    def normalised(vector):
        norm = sum(value * value for value in vector) ** 0.5
        return [value / norm for value in vector]

    # text embeddings are clustered (topics), not uniform on the sphere: 60 topics, each passage
    # its topic plus noise, each query a passage's neighbourhood
    topics = [normalised([rng.gauss(0, 1) for _ in range(dim)]) for _ in range(60)]

    def near(center, spread=0.9):
        return normalised([value + rng.gauss(0, spread / dim**0.5) for value in center])

    def unit():
        return near(rng.choice(topics))

    corpora = {}
    for tenant in (tenant_a, tenant_b):
        with tenant_context(tenant.id):
            corpus = corpora[tenant.id] = Corpus.objects.create(
                tenant_id=tenant.id,
                name="synthetic",
                embedding_model="deterministic-ngram-hash-384",
                embedding_version="deterministic-ngram-hash-384",
                embedding_dim=dim,
            )
            document = Document.objects.create(
                tenant_id=tenant.id,
                corpus=corpus,
                title="s",
                source_key="s",
                media_type="text/plain",
                sha256="0" * 64,
                content=b"s",
                status="ready",
            )
            Chunk.objects.bulk_create(
                [
                    Chunk(
                        tenant_id=tenant.id,
                        corpus=corpus,
                        document=document,
                        ordinal=n,
                        text=f"t{n}",
                        token_count=1,
                        char_start=0,
                        char_end=1,
                        embedding=unit(),
                        embedding_dim=dim,
                    )
                    for n in range(3000)
                ],
                batch_size=1000,
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE rag_chunk")
    queries = [near(unit(), 0.5) for _ in range(30)]
    recalls = []
    corpus = corpora[tenant_a.id]
    with tenant_context(tenant_a.id), connection.cursor() as cursor:
        for query in queries:
            literal = vector_literal(query)
            cursor.execute("SET LOCAL hnsw.ef_search = 40")
            cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            # the HNSW index, as the planner picks it for a large tenant (for a small one it reads the
            # tenant's rows by the b-tree and sorts them: exact; docs/benchmarks.md)
            cursor.execute("SET LOCAL enable_sort = off")
            sql = (
                "SELECT id FROM (SELECT c.id, c.embedding::vector(384) <=> %s::vector(384) AS d FROM rag_chunk c "
                "WHERE c.tenant_id = %s AND c.embedding_dim = 384 AND c.corpus_id = %s AND c.generation = 1 "
                "ORDER BY c.embedding::vector(384) <=> %s::vector(384) LIMIT 10) s ORDER BY d"
            )
            cursor.execute("EXPLAIN " + sql, [literal, tenant_a.id, corpus.id, literal])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "rag_chunk_hnsw_384" in plan, plan
            cursor.execute(sql, [literal, tenant_a.id, corpus.id, literal])
            approximate = {row[0] for row in cursor.fetchall()}
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute("SET LOCAL enable_sort = on")
            cursor.execute(sql, [literal, tenant_a.id, corpus.id, literal])
            exact = {row[0] for row in cursor.fetchall()}
            cursor.execute("SET LOCAL enable_indexscan = on")
            assert len(exact) == 10
            recalls.append(len(approximate & exact) / 10)
    assert sum(recalls) / len(recalls) >= 0.95, recalls
