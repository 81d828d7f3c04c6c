"""Ingestion of each format into a tenant's corpus: idempotent, atomic replacement, failures kept
to the one document, the embedding cache, and a crash in the middle of the swap."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection

from melmastoon_ai.tenancy.context import tenant_context
from rag import services
from rag.models import Chunk, Document, EmbeddingCacheEntry
from rag.selectors import rag_search
from tests.rag.support import POLICY_HTML, POLICY_MD, ingest, make_corpus, make_pdf

pytestmark = pytest.mark.django_db


def _chunks(tenant, document):
    with tenant_context(tenant.id):
        return list(Chunk.objects.filter(tenant_id=tenant.id, document_id=document.id).order_by("ordinal"))


def _document(tenant, document):
    with tenant_context(tenant.id):
        return Document.objects.get(tenant_id=tenant.id, pk=document.id)


@pytest.mark.parametrize(
    "media_type,data,expected",
    [
        ("text/markdown", POLICY_MD.encode(), "Dogs under ten kilograms"),
        ("text/html", POLICY_HTML.encode(), "garage behind the hotel"),
        (
            "text/plain",
            b"Quiet hours are from 22:00 to 07:00.\n\nThe gym is in the basement.",
            "gym is in the basement",
        ),
        (
            "application/pdf",
            make_pdf(["Towels are changed every second day.", "Smoking in rooms costs 150 euros."]),
            "Smoking in rooms costs 150 euros.",
        ),
    ],
)
def test_each_format_is_ingested_into_searchable_chunks_with_offsets_into_its_text(
    tenant_a, media_type, data, expected
):
    corpus = make_corpus(tenant_a)
    submitted, result = ingest(tenant_a, corpus, data, media_type, title=f"doc.{media_type.split('/')[1]}")
    assert result.status == "ready" and result.chunks >= 1
    document = _document(tenant_a, submitted.document)
    chunks = _chunks(tenant_a, submitted.document)
    assert document.status == "ready" and document.ingested_version == 1
    assert all(document.text[chunk.char_start : chunk.char_end] == chunk.text for chunk in chunks)
    assert any(expected in chunk.text for chunk in chunks)
    assert all(chunk.embedding_dim == 384 and chunk.search_vector for chunk in chunks)
    hits = rag_search(tenant=tenant_a, query=expected, k=3).hits
    assert hits and expected in hits[0].text


def test_markdown_chunks_carry_their_section_heading(tenant_a):
    corpus = make_corpus(tenant_a)
    submitted, _result = ingest(tenant_a, corpus, POLICY_MD.encode(), "text/markdown", "rules.md")
    headings = {chunk.heading for chunk in _chunks(tenant_a, submitted.document)}
    assert "House rules > Pets" in headings and "House rules > Swimming pool" in headings


def test_the_same_bytes_twice_make_no_new_version_and_no_duplicate_chunk(tenant_a):
    corpus = make_corpus(tenant_a)
    first, _ = ingest(tenant_a, corpus, POLICY_MD.encode(), "text/markdown", "rules.md")
    before = [chunk.id for chunk in _chunks(tenant_a, first.document)]
    again, result = ingest(tenant_a, corpus, POLICY_MD.encode(), "text/markdown", "rules.md")
    assert (again.changed, again.document.id, result.status) == (False, first.document.id, "skipped")
    assert [chunk.id for chunk in _chunks(tenant_a, first.document)] == before
    with tenant_context(tenant_a.id):
        assert Document.objects.filter(tenant_id=tenant_a.id, corpus=corpus).count() == 1


def test_a_changed_document_replaces_its_chunks_and_reuses_the_embedding_cache(tenant_a):
    corpus = make_corpus(tenant_a)
    first, result = ingest(tenant_a, corpus, POLICY_MD.encode(), "text/markdown", "rules.md")
    old = {chunk.id for chunk in _chunks(tenant_a, first.document)}
    changed = POLICY_MD.replace("Cats are not allowed.", "Cats are welcome too.")
    second, again = ingest(tenant_a, corpus, changed.encode(), "text/markdown", "rules.md")
    document = _document(tenant_a, second.document)
    chunks = _chunks(tenant_a, second.document)
    assert (second.document.id, document.version, document.ingested_version) == (first.document.id, 2, 2)
    assert not old & {chunk.id for chunk in chunks}  # every old chunk is gone
    assert any("Cats are welcome too." in chunk.text for chunk in chunks)
    assert not any("Cats are not allowed." in chunk.text for chunk in chunks)
    assert 1 <= again.embedded < result.embedded  # the unchanged sections came from the cache
    with tenant_context(tenant_a.id):
        assert EmbeddingCacheEntry.objects.filter(tenant_id=tenant_a.id).count() == result.embedded + again.embedded


def test_a_corrupt_pdf_fails_alone_with_its_reason_and_the_corpus_keeps_serving(tenant_a):
    corpus = make_corpus(tenant_a)
    ingest(tenant_a, corpus, POLICY_MD.encode(), "text/markdown", "rules.md")
    broken, result = ingest(tenant_a, corpus, b"%PDF-1.7\n" + b"\x00garbage" * 50, "application/pdf", "broken.pdf")
    document = _document(tenant_a, broken.document)
    assert result.status == "failed" and document.status == "failed"
    assert "PDF" in document.failure_reason and not _chunks(tenant_a, broken.document)
    assert rag_search(tenant=tenant_a, query="Dogs under ten kilograms", k=3).hits  # the rest still served


def test_a_crash_in_the_middle_of_the_swap_leaves_the_old_version_served(tenant_a):
    """The delete of the old chunks and the insert of the new ones commit together or not at all:
    a worker dying between them (here: the insert fails) leaves the old version whole."""
    corpus = make_corpus(tenant_a)
    first, _ = ingest(tenant_a, corpus, POLICY_MD.encode(), "text/markdown", "rules.md")
    old = [chunk.id for chunk in _chunks(tenant_a, first.document)]
    changed = POLICY_MD.replace("Cats are not allowed.", "Cats are welcome too.").encode()
    with tenant_context(tenant_a.id):
        services.document_submit(
            tenant=tenant_a,
            corpus=corpus,
            data=changed,
            media_type="text/markdown",
            title="rules.md",
            source_key="rules.md",
            enqueue=False,
        )
    with (
        mock.patch.object(services, "chunks_insert", side_effect=RuntimeError("worker killed")),
        pytest.raises(RuntimeError),
    ):
        services.document_ingest(document_id=str(first.document.id), tenant_id=str(tenant_a.id))
    assert [chunk.id for chunk in _chunks(tenant_a, first.document)] == old
    document = _document(tenant_a, first.document)
    assert (document.version, document.ingested_version) == (2, 1)  # version 2 waits, version 1 is served
    assert document.status == "ingesting"  # rag.resume_stale starts it again
    assert (str(first.document.id), str(tenant_a.id)) in services.documents_stale(older_than_minutes=0)
    result = services.document_ingest(document_id=str(first.document.id), tenant_id=str(tenant_a.id))
    assert result.status == "ready" and result.embedded == 0  # resumed: everything was in the cache
    assert any("Cats are welcome too." in chunk.text for chunk in _chunks(tenant_a, first.document))


def test_chunks_and_cache_are_invisible_to_another_tenant_even_by_sql(tenant_a, tenant_b):
    corpus = make_corpus(tenant_a)
    ingest(tenant_a, corpus, POLICY_MD.encode(), "text/markdown", "rules.md")
    with tenant_context(tenant_b.id), connection.cursor() as cursor:
        cursor.execute("SELECT current_user, (SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user)")
        user, bypass = cursor.fetchone()
        assert bypass is False
        for table in ("rag_corpus", "rag_document", "rag_chunk", "rag_embeddingcacheentry"):
            cursor.execute(f"SELECT count(*) FROM {table}")  # no tenant predicate: RLS alone
            assert cursor.fetchone()[0] == 0, (table, user)
    with tenant_context(tenant_a.id), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM rag_chunk")
        assert cursor.fetchone()[0] > 0
