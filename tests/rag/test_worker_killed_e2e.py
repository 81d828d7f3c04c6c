"""A real Celery worker SIGKILLed in the middle of an ingestion (as a crash or an OOM kill would),
then the sweep queues the document again and a new worker finishes it: the previous version is
served the whole time, no chunk of the unfinished run is ever visible, and the vectors the first
worker computed are not computed again (the embedding cache)."""

from __future__ import annotations

import time

import pytest

from melmastoon_ai.tenancy.context import tenant_context
from rag.models import Chunk, Document, EmbeddingCacheEntry
from rag.services import corpus_create, document_ingest, document_submit, documents_stale, ingest_enqueue
from tests.e2e.conftest import running_worker
from tests.routing.providers.support import FAKE_PROJECT, FAKE_VERTEX_TOKEN

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SECTIONS = 24


def wait_for(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _policy(version: int) -> bytes:
    return "\n\n".join(
        f"## Rule {n}\n\nRule {n} of version {version}: guests keep the quiet hours of wing {n}."
        for n in range(SECTIONS)
    ).encode()


def test_an_ingestion_survives_a_worker_killed_mid_way(tenant_a, providers_from_settings, vertex_fake):
    with tenant_context(tenant_a.id):
        corpus = corpus_create(tenant=tenant_a, name="Policies", kind="policy", embedding_model="text-embedding-004")
        first = document_submit(
            tenant=tenant_a,
            corpus=corpus,
            data=_policy(1),
            media_type="text/markdown",
            title="rules.md",
            source_key="rules.md",
            enqueue=False,
        )
    assert document_ingest(document_id=str(first.document.id), tenant_id=str(tenant_a.id)).status == "ready"
    document_id = str(first.document.id)
    with tenant_context(tenant_a.id):
        served = set(Chunk.objects.filter(tenant_id=tenant_a.id).values_list("id", flat=True))
        document_submit(
            tenant=tenant_a,
            corpus=corpus,
            data=_policy(2),
            media_type="text/markdown",
            title="rules.md",
            source_key="rules.md",
            enqueue=False,
        )
    vertex_fake.reset()
    vertex_fake.script(times=None, latency_ms=400)  # slow enough to kill the worker between batches
    env = {
        "VERTEX_BASE_URL": vertex_fake.base_url,
        "VERTEX_PROJECT": FAKE_PROJECT,
        "VERTEX_ACCESS_TOKEN": FAKE_VERTEX_TOKEN,
        "VERTEX_LOCATION": "europe-west1",
        "RAG_EMBED_BATCH": "2",
    }

    def cached() -> int:
        with tenant_context(tenant_a.id):
            return EmbeddingCacheEntry.objects.filter(tenant_id=tenant_a.id).count()

    before = cached()
    with running_worker(**env) as worker:
        ingest_enqueue(document_id=document_id, tenant_id=str(tenant_a.id))
        wait_for(lambda: cached() >= before + 6, timeout=90, what="three batches embedded")
        worker.kill()  # SIGKILL: no shutdown, the ingest in flight dies with it
        worker.wait(15)
    with tenant_context(tenant_a.id):
        document = Document.objects.get(tenant_id=tenant_a.id, pk=document_id)
        assert (document.status, document.version, document.ingested_version) == ("ingesting", 2, 1)
        assert set(Chunk.objects.filter(tenant_id=tenant_a.id).values_list("id", flat=True)) == served
    embedded_before_kill = cached() - before
    assert embedded_before_kill < SECTIONS

    calls_before = len([r for r in vertex_fake.received if ":predict" in r.path])
    assert (document_id, str(tenant_a.id)) in documents_stale(older_than_minutes=0)  # what rag.resume_stale sees
    with running_worker(**env):
        ingest_enqueue(document_id=document_id, tenant_id=str(tenant_a.id))
        wait_for(lambda: _ready(tenant_a), timeout=120, what="the document to be ready")
    with tenant_context(tenant_a.id):
        chunks = list(Chunk.objects.filter(tenant_id=tenant_a.id))
    assert chunks and not served & {chunk.id for chunk in chunks}
    assert all("version 2" in chunk.text for chunk in chunks)
    resumed_calls = len([r for r in vertex_fake.received if ":predict" in r.path]) - calls_before
    # the resumed run embedded only what the killed one had not (batches of 2)
    assert resumed_calls <= (SECTIONS - embedded_before_kill + 1) // 2 + 1


def _ready(tenant) -> bool:
    with tenant_context(tenant.id):
        return Document.objects.filter(tenant_id=tenant.id, status="ready").exists()
