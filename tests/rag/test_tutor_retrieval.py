"""Step 5 for tutor.answer: the answer is grounded in retrieved chunks, its `sources` are checked
against them (an invented one is repaired, then the chain moves on), and provenance says what
was retrieved. Another tenant's chunks never reach the prompt or the answer."""

from __future__ import annotations

import json

import pytest

from tests.factories import faq_ingested
from tests.rag.support import POLICY_MD, ingest, make_corpus

pytestmark = pytest.mark.django_db
QUESTION = {"question": "Are dogs allowed in the rooms?", "locale": "en"}


def _complete(client, payload=QUESTION):
    response = client.post(
        "/api/v1/ai/complete",
        {"capability": "tutor.answer", "input": payload},
        format="json",
        HTTP_CACHE_CONTROL="no-store",
    )
    assert response.status_code == 200, response.json()
    return response.json()


def test_the_deterministic_tutor_answers_from_a_retrieved_chunk_and_provenance_lists_the_retrieval(
    client_a, tenant_a, catalog
):
    corpus = make_corpus(tenant_a)
    ingest(tenant_a, corpus, POLICY_MD.encode(), "text/markdown", "rules.md")
    body = _complete(client_a)
    retrieval = body["provenance"]["retrieval"]
    retrieved = [chunk["id"] for chunk in retrieval["chunks"]]
    assert body["output"]["sources"] and set(body["output"]["sources"]) <= set(retrieved)
    assert "Dogs under ten kilograms" in body["output"]["answer"]
    assert retrieval["corpora"] == [str(corpus.id)] and retrieval["ef_search"] == 40
    assert retrieval["embedding_models"] == ["deterministic-ngram-hash-384"] and retrieval["mode"] == "hybrid"


def test_an_invented_source_is_repaired_once_then_the_chain_moves_on(
    client_a, tenant_a, catalog, settings, providers_from_settings, vertex_fake
):
    settings.ROUTER_DEADLINE_MARGIN_SECONDS = 20  # room for the repair even on a loaded machine
    corpus = make_corpus(tenant_a)
    ingest(tenant_a, corpus, POLICY_MD.encode(), "text/markdown", "rules.md")
    invented = {"answer": "Dogs are fine.", "sources": ["kb-article-9"], "confidence": 0.9, "locale": "en"}
    vertex_fake.script(times=None, output=invented)
    body = _complete(client_a)
    attempts = [(attempt["provider"], attempt["outcome"]) for attempt in body["provenance"]["attempts"]]
    assert attempts[0] == ("vertex", "schema_invalid")
    assert "kb-article-9" in body["provenance"]["attempts"][0]["detail"]
    assert len([r for r in vertex_fake.received if ":generateContent" in r.path]) == 2  # answer + one repair
    assert body["provenance"]["provider"] != "vertex"
    retrieved = {chunk["id"] for chunk in body["provenance"]["retrieval"]["chunks"]}
    assert set(body["output"]["sources"]) <= retrieved


def test_the_cloud_prompt_carries_the_retrieved_passages_with_their_ids(
    client_a, tenant_a, catalog, providers_from_settings, vertex_fake
):
    corpus = make_corpus(tenant_a)
    ingest(tenant_a, corpus, POLICY_MD.encode(), "text/markdown", "rules.md")
    body = _complete(client_a)
    top = body["provenance"]["retrieval"]["chunks"][0]["id"]
    sent = json.dumps([r.body for r in vertex_fake.received if ":generateContent" in r.path])
    assert f"[{top}]" in sent and "Dogs under ten kilograms" in sent
    if body["provenance"]["provider"] == "vertex":
        assert set(body["output"]["sources"]) <= {c["id"] for c in body["provenance"]["retrieval"]["chunks"]}


def test_another_tenants_chunks_never_reach_the_tutor(
    client_a, client_b, tenant_a, tenant_b, catalog, providers_from_settings, vertex_fake
):
    faq_ingested(
        tenant_a, [{"question": "What is the Wi-Fi password?", "answer": "The password is alborz-guest-7731."}]
    )
    faq_ingested(tenant_b, [{"question": "Where do guests park?", "answer": "Behind the hotel."}])
    mine = _complete(client_a, {"question": "What is the Wi-Fi password?", "locale": "en"})
    assert mine["provenance"]["retrieval"]["chunks"]
    vertex_fake.reset()
    theirs = _complete(client_b, {"question": "What is the Wi-Fi password?", "locale": "en"})
    sent = json.dumps([r.body for r in vertex_fake.received])
    assert "alborz-guest-7731" not in sent and "alborz-guest-7731" not in json.dumps(theirs)
    mine_ids = {chunk["id"] for chunk in mine["provenance"]["retrieval"]["chunks"]}
    assert not mine_ids & {chunk["id"] for chunk in theirs["provenance"]["retrieval"]["chunks"]}
