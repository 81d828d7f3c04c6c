"""`manage.py rag_ingest` and the stale-ingest sweep, against the real database."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from melmastoon_ai.tenancy.context import tenant_context
from rag.models import Chunk, Corpus, Document
from rag.services import documents_stale
from tests.rag.support import POLICY_HTML, POLICY_MD, make_pdf

pytestmark = pytest.mark.django_db


def test_rag_ingest_loads_files_into_a_new_corpus_and_twice_changes_nothing(tenant_a, tmp_path):
    (tmp_path / "rules.md").write_text(POLICY_MD)
    (tmp_path / "breakfast.html").write_text(POLICY_HTML)
    (tmp_path / "towels.pdf").write_bytes(make_pdf(["Towels are changed every second day."]))
    paths = [str(tmp_path / name) for name in ("rules.md", "breakfast.html", "towels.pdf")]
    out = io.StringIO()
    call_command(
        "rag_ingest",
        "--tenant",
        tenant_a.name,
        "--corpus",
        "Policies",
        "--kind",
        "policy",
        *paths,
        stdout=out,
        stderr=io.StringIO(),
    )
    assert out.getvalue().count(" ready ") == 3
    with tenant_context(tenant_a.id):
        corpus = Corpus.objects.get(tenant_id=tenant_a.id, name="Policies")
        assert corpus.kind == "policy" and corpus.embedding_version
        assert Document.objects.filter(tenant_id=tenant_a.id, status="ready").count() == 3
        chunks = Chunk.objects.filter(tenant_id=tenant_a.id).count()
    again = io.StringIO()
    call_command(
        "rag_ingest",
        "--tenant",
        str(tenant_a.id),
        "--corpus",
        str(corpus.id),
        *paths,
        stdout=again,
        stderr=io.StringIO(),
    )
    assert again.getvalue().count("unchanged") == 3
    with tenant_context(tenant_a.id):
        assert Chunk.objects.filter(tenant_id=tenant_a.id).count() == chunks


def test_rag_ingest_refuses_an_unsupported_file_and_reports_a_corrupt_one(tenant_a, tmp_path):
    (tmp_path / "rules.docx").write_bytes(b"PK\x03\x04")
    with pytest.raises(CommandError, match="not supported"):
        call_command(
            "rag_ingest",
            "--tenant",
            tenant_a.name,
            "--corpus",
            "P",
            str(tmp_path / "rules.docx"),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7\n" + b"\x00" * 300)
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 document"):
        call_command(
            "rag_ingest",
            "--tenant",
            tenant_a.name,
            "--corpus",
            "P",
            str(tmp_path / "broken.pdf"),
            stdout=out,
            stderr=io.StringIO(),
        )
    assert " failed " in out.getvalue() and "reason=" in out.getvalue()


def test_pending_documents_are_found_by_the_sweep_and_ingested_by_pending(tenant_a, tenant_b):
    from rag.services import corpus_create, document_submit

    for tenant in (tenant_a, tenant_b):
        with tenant_context(tenant.id):
            corpus = corpus_create(tenant=tenant, name="FAQ", kind="faq")
            document_submit(
                tenant=tenant,
                corpus=corpus,
                data=b"Quiet hours start at 22:00.",
                media_type="text/plain",
                title="quiet",
                enqueue=False,
            )
    stale = documents_stale(older_than_minutes=0)
    assert {tenant for _document, tenant in stale} >= {str(tenant_a.id), str(tenant_b.id)}
    call_command("rag_ingest", "--tenant", str(tenant_a.id), "--pending", stdout=io.StringIO(), stderr=io.StringIO())
    with tenant_context(tenant_a.id):
        assert Document.objects.get(tenant_id=tenant_a.id).status == "ready"
    with tenant_context(tenant_b.id):
        assert Document.objects.get(tenant_id=tenant_b.id).status == "pending"  # only the tenant named


def test_the_rag_ingestor_job_ingests_every_tenants_waiting_documents_in_process(tenant_a, tenant_b, settings):
    """deploy/cloudrun/job-rag-ingestor.yaml runs `run_task rag.ingest_pending`."""
    from rag.services import corpus_create, document_submit

    for tenant in (tenant_a, tenant_b):
        with tenant_context(tenant.id):
            corpus = corpus_create(tenant=tenant, name="Policies", kind="policy")
            document_submit(
                tenant=tenant,
                corpus=corpus,
                data=b"Check-out is at 11:00.",
                media_type="text/plain",
                title="check-out",
                enqueue=False,
            )
    settings.RAG_STALE_MINUTES = 0  # waited long enough for the workers
    out = io.StringIO()
    call_command("run_task", "rag.ingest_pending", stdout=out, stderr=io.StringIO())
    for tenant in (tenant_a, tenant_b):
        with tenant_context(tenant.id):
            assert Document.objects.get(tenant_id=tenant.id).status == "ready"
            assert Chunk.objects.filter(tenant_id=tenant.id).exists()
