"""Re-embedding a corpus with another model (`manage.py rag_reembed`, rag.services.corpus_reembed)
and the FAQ replacement queuing its ingestion after commit instead of embedding in the caller's
transaction. Real PostgreSQL as the app role; Vertex through its fake server."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from melmastoon_ai.tenancy.context import tenant_context
from rag import services
from rag.embedding import DETERMINISTIC_MODEL, VERTEX_MODEL
from rag.models import Chunk, Corpus, Document
from rag.selectors import rag_search
from rag.services import corpus_reembed, document_ingest, document_submit, faq_entries_replace
from tests.rag.support import POLICY_HTML, POLICY_MD, ingest, make_corpus

pytestmark = pytest.mark.django_db


def _corpus_with_documents(tenant):
    corpus = make_corpus(tenant)
    ingest(tenant, corpus, POLICY_MD.encode(), "text/markdown", "rules.md")
    ingest(tenant, corpus, POLICY_HTML.encode(), "text/html", "breakfast.html")
    return corpus


def _chunks(tenant, corpus, generation):
    with tenant_context(tenant.id):
        return list(
            Chunk.objects.filter(tenant_id=tenant.id, corpus_id=corpus.id, generation=generation)
            .order_by("document_id", "ordinal")
            .values_list("document_id", "ordinal", "text", "embedding_dim", "char_start", "char_end")
        )


def test_reembed_writes_a_new_generation_with_the_new_model_and_serves_it_once_complete(
    tenant_a, providers_from_settings, vertex_fake
):
    corpus = _corpus_with_documents(tenant_a)
    before = _chunks(tenant_a, corpus, 1)
    assert before and {row[3] for row in before} == {384}
    result = corpus_reembed(tenant=tenant_a, corpus_id=corpus.id, model=VERTEX_MODEL, batch_documents=1)
    assert (result.status, result.generation, result.documents, result.chunks) == ("reembedded", 2, 2, len(before))
    assert result.embedded == len(before)
    predicts = [r for r in vertex_fake.received if ":predict" in r.path]
    assert 1 <= len(predicts) <= 2  # batched: one call per document batch here, never one per chunk
    with tenant_context(tenant_a.id):
        corpus = Corpus.objects.get(pk=corpus.id)
        assert (corpus.embedding_model, corpus.embedding_dim, corpus.generation, corpus.next_generation) == (
            VERTEX_MODEL,
            768,
            2,
            0,
        )
        assert not Chunk.objects.filter(tenant_id=tenant_a.id, generation=1).exists()  # the old one is gone
        assert not Chunk.objects.filter(tenant_id=tenant_a.id, search_vector__isnull=True).exists()
    after = _chunks(tenant_a, corpus, 2)
    assert [row[:3] + row[4:] for row in after] == [row[:3] + row[4:] for row in before]  # same passages
    assert {row[3] for row in after} == {768}
    found = rag_search(tenant=tenant_a, query="Are dogs allowed in the rooms?")
    assert found.mode == "hybrid" and found.embedding_models == [VERTEX_MODEL]
    assert "Dogs under ten kilograms" in found.hits[0].text
    again = corpus_reembed(tenant=tenant_a, corpus_id=corpus.id, model=VERTEX_MODEL)
    assert again.status == "current" and again.generation == 2


def test_a_stopped_reembed_serves_the_old_generation_and_resumes_where_it_stopped(
    tenant_a, providers_from_settings, vertex_fake, monkeypatch
):
    corpus = _corpus_with_documents(tenant_a)
    real = services.embed_cached
    calls = []

    def dies_on_the_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("the operator stopped it")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "embed_cached", dies_on_the_second_batch)
    with pytest.raises(KeyboardInterrupt):
        corpus_reembed(tenant=tenant_a, corpus_id=corpus.id, model=VERTEX_MODEL, batch_documents=1)
    with tenant_context(tenant_a.id):
        half = Corpus.objects.get(pk=corpus.id)
        assert (half.generation, half.next_generation, half.embedding_model) == (1, 2, DETERMINISTIC_MODEL)
        done = set(Chunk.objects.filter(tenant_id=tenant_a.id, generation=2).values_list("document_id", flat=True))
        assert len(done) == 1
    served = rag_search(tenant=tenant_a, query="Are dogs allowed in the rooms?")
    assert served.embedding_models == [DETERMINISTIC_MODEL] and served.hits  # the old generation, untouched
    monkeypatch.setattr(services, "embed_cached", real)
    out = io.StringIO()
    call_command("rag_reembed", "--tenant", tenant_a.name, "--corpus", "Policies", stdout=out, stderr=io.StringIO())
    assert "reembedded" in out.getvalue() and "documents=1" in out.getvalue()  # only the one left
    with tenant_context(tenant_a.id):
        assert Corpus.objects.get(pk=corpus.id).embedding_model == VERTEX_MODEL


def test_a_document_ingested_during_the_reembed_is_reembedded_before_the_switch(
    tenant_a, providers_from_settings, vertex_fake, monkeypatch
):
    corpus = _corpus_with_documents(tenant_a)
    real = services.embed_cached
    state = {"ingested": False}

    def ingest_meanwhile(tenant, embedder, texts, **kwargs):
        if not state["ingested"] and embedder.model == VERTEX_MODEL:
            state["ingested"] = True  # a new version of one document arrives, ingested with the old model
            with tenant_context(tenant_a.id):
                submitted = document_submit(
                    tenant=tenant_a,
                    corpus=corpus,
                    data=b"Quiet hours start at 22:00.",
                    media_type="text/plain",
                    title="quiet",
                    source_key="quiet",
                    enqueue=False,
                )
            document_ingest(document_id=str(submitted.document.id), tenant_id=str(tenant_a.id))
        return real(tenant, embedder, texts, **kwargs)

    monkeypatch.setattr(services, "embed_cached", ingest_meanwhile)
    result = corpus_reembed(tenant=tenant_a, corpus_id=corpus.id, model=VERTEX_MODEL)
    assert result.documents == 3
    with tenant_context(tenant_a.id):
        assert set(Chunk.objects.filter(tenant_id=tenant_a.id).values_list("generation", "embedding_dim")) == {(2, 768)}
        assert Document.objects.filter(tenant_id=tenant_a.id, status="ready").count() == 3


def test_the_command_refuses_an_unknown_model_and_a_corpus_without_tenant(tenant_a):
    _corpus_with_documents(tenant_a)
    with pytest.raises(CommandError, match="--corpus needs --tenant"):
        call_command("rag_reembed", "--corpus", "Policies", stdout=io.StringIO(), stderr=io.StringIO())
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 corpus"):
        call_command(
            "rag_reembed", "--tenant", tenant_a.name, "--model", "no-such-model", stdout=out, stderr=io.StringIO()
        )
    assert "failed reason=" in out.getvalue()
    out = io.StringIO()
    call_command("rag_reembed", stdout=out, stderr=io.StringIO())  # every tenant; already current
    assert " current " in out.getvalue()


def test_faq_replace_embeds_nothing_in_the_transaction_and_queues_the_ingest_after_commit(
    tenant_a, monkeypatch, django_capture_on_commit_callbacks
):
    def no_model_call(*args, **kwargs):
        raise AssertionError("a model was called inside the caller's transaction")

    monkeypatch.setattr(services, "embed_cached", no_model_call)
    queued = []
    monkeypatch.setattr(services, "ingest_enqueue", lambda **kwargs: queued.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with tenant_context(tenant_a.id):
            ids = faq_entries_replace(
                tenant_id=tenant_a.id,
                entries=[
                    {"question": "Wi-Fi password?", "answer": "alborz-guest"},
                    {"question": "Parking?", "answer": "Behind the hotel."},
                ],
            )
            assert queued == []  # nothing before the commit
    assert len(callbacks) == 2 and len(ids) == 2
    assert sorted(item["document_id"] for item in queued) == sorted(ids)
    with tenant_context(tenant_a.id):
        assert Document.objects.filter(tenant_id=tenant_a.id, status="pending").count() == 2
        assert not Chunk.objects.filter(tenant_id=tenant_a.id).exists()
    monkeypatch.undo()
    for document_id in ids:  # what the queued task does, after the commit
        assert document_ingest(document_id=document_id, tenant_id=str(tenant_a.id)).status == "ready"
    with django_capture_on_commit_callbacks(execute=False) as unchanged:
        with tenant_context(tenant_a.id):
            assert (
                faq_entries_replace(
                    tenant_id=tenant_a.id, entries=[{"question": "Wi-Fi password?", "answer": "alborz-guest"}]
                )
                == []
            )  # same bytes: nothing to do
    assert unchanged == []
    with tenant_context(tenant_a.id):
        assert Document.objects.filter(tenant_id=tenant_a.id).count() == 1  # Parking was removed
