"""`manage.py rag_ingest --tenant T --corpus C PATH...`: load files into a tenant's corpus now.

Each file goes through `document_submit` (media type by extension, size limit, the same bytes
twice change nothing) and is ingested in this process with a progress bar (chunks embedded).
`--pending` ingests instead every document of the tenant still waiting (after the FAQ migration,
or with no worker running)."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.tenancy.models import Tenant
from rag import parsing
from rag.models import Corpus, Document
from rag.services import corpus_create, document_ingest, document_submit


class Command(BaseCommand):
    help = "Ingest files (Markdown, HTML, text, PDF) into a tenant's corpus, or its pending documents."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant id or exact name")
        parser.add_argument("--corpus", help="corpus id or name (created when the name is new)")
        parser.add_argument("--kind", default=Corpus.Kind.OTHER, choices=Corpus.Kind.values)
        parser.add_argument("--embedding-model", default="", help="for a new corpus; default: RAG_EMBEDDING_MODELS")
        parser.add_argument("--language", default="", help="the files' language (default: detected)")
        parser.add_argument("--pending", action="store_true", help="ingest the tenant's waiting documents")
        parser.add_argument("paths", nargs="*")

    def handle(self, *args, **options):
        tenant = _tenant(options["tenant"])
        if options["pending"]:
            with tenant_context(tenant.id):
                ids = [
                    str(pk)
                    for pk in Document.objects.filter(
                        tenant_id=tenant.id,
                        status__in=[Document.Status.PENDING, Document.Status.INGESTING],
                    ).values_list("id", flat=True)
                ]
        else:
            if not options["corpus"] or not options["paths"]:
                raise CommandError("give --corpus and at least one PATH (or --pending)")
            ids = self._submit(tenant, options)
        failed = 0
        for document_id in ids:
            with tqdm(desc=document_id[:8], unit="chunk", disable=options["verbosity"] < 1) as bar:
                result = document_ingest(document_id=document_id, tenant_id=str(tenant.id), progress=bar.update)
            failed += result.status == Document.Status.FAILED
            line = f"{document_id} {result.status} chunks={result.chunks} embedded={result.embedded}"
            self.stdout.write(line + (f" reason={result.reason}" if result.reason else ""))
        if failed:
            raise CommandError(f"{failed} document(s) failed")

    def _submit(self, tenant: Tenant, options) -> list[str]:
        ids = []
        with tenant_context(tenant.id):
            corpus = _corpus(tenant, options)
            for name in options["paths"]:
                path = Path(name)
                if not path.is_file():
                    raise CommandError(f"{path}: no such file")
                try:
                    submitted = document_submit(
                        tenant=tenant,
                        corpus=corpus,
                        data=path.read_bytes(),
                        enqueue=False,
                        media_type=parsing.media_type_of("", path.name),
                        title=path.name,
                        source_key=str(path.name),
                        source_uri=path.resolve().as_uri(),
                        language=options["language"],
                    )
                except ApplicationError as exc:
                    raise CommandError(f"{path}: {exc}") from exc
                if submitted.changed:
                    ids.append(str(submitted.document.id))
                else:
                    self.stdout.write(f"{path}: unchanged (document {submitted.document.id})")
        return ids


def _tenant(value: str) -> Tenant:
    try:
        return Tenant.objects.get(pk=uuid.UUID(value))
    except (ValueError, Tenant.DoesNotExist):
        tenant = Tenant.objects.filter(name=value).first()
        if tenant is None:
            raise CommandError(f"no tenant {value!r}") from None
        return tenant


def _corpus(tenant: Tenant, options) -> Corpus:
    value = options["corpus"]
    try:
        corpus = Corpus.objects.filter(tenant_id=tenant.id, pk=uuid.UUID(value)).first()
    except ValueError:
        corpus = Corpus.objects.filter(tenant_id=tenant.id, name=value).first()
    if corpus is not None:
        return corpus
    try:
        return corpus_create(
            tenant=tenant, name=value, kind=options["kind"], embedding_model=options["embedding_model"]
        )
    except ApplicationError as exc:
        raise CommandError(str(exc)) from exc
