"""Documents uploaded through the Django admin take the same path as the API's uploads."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from melmastoon_ai.tenancy.context import tenant_context
from rag.models import Document
from tests.factories import staff_login
from tests.rag.support import POLICY_MD, make_corpus

pytestmark = pytest.mark.django_db


def test_a_document_added_in_the_admin_is_submitted_for_ingestion_and_a_bad_type_is_refused(
    tenant_a, django_capture_on_commit_callbacks
):
    corpus = make_corpus(tenant_a)
    client = staff_login(Client(), User.objects.create_superuser("root", "root@example.com", "pw-root-12345"))
    upload = SimpleUploadedFile("rules.md", POLICY_MD.encode(), content_type="text/markdown")
    response = client.post(
        "/admin/rag/document/add/",
        {"corpus": str(corpus.id), "file": upload, "title": "", "source_uri": "", "language": "en"},
    )
    assert response.status_code == 302, response.content[:2000]
    with tenant_context(tenant_a.id):
        document = Document.objects.get(tenant_id=tenant_a.id)
    assert (document.title, document.media_type, document.status) == ("rules.md", "text/markdown", "pending")
    zipped = SimpleUploadedFile("rules.zip", b"PK\x03\x04", content_type="application/zip")
    refused = client.post("/admin/rag/document/add/", {"corpus": str(corpus.id), "file": zipped})
    assert refused.status_code == 200 and b"is not supported" in refused.content
    with tenant_context(tenant_a.id):
        assert Document.objects.filter(tenant_id=tenant_a.id).count() == 1
    assert client.get("/admin/rag/corpus/").status_code == 200
    assert client.get("/admin/rag/document/").status_code == 200
    assert client.get(f"/admin/rag/document/{document.id}/change/").status_code == 200
