"""`manage.py rag_reembed [--tenant T] [--corpus C] [--model M] [--force]`: re-embed corpora.

For when the embedding model changes (another model, or a new version of the corpus's own): each
corpus gets a new generation of chunks embedded by the model, in batches, and serves it once
complete (rag.services.corpus_reembed). Stopped or killed, the same command resumes where it
left off. Without --tenant, every tenant's corpora (the audited platform path lists them);
without --model, each corpus's own model (corpora already on its current version are skipped
unless --force)."""

from __future__ import annotations

import uuid

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.tenancy.context import platform_access, tenant_context
from melmastoon_ai.tenancy.models import Tenant
from rag.management.commands.rag_ingest import _tenant
from rag.models import Corpus
from rag.services import corpus_reembed


class Command(BaseCommand):
    help = "Re-embed corpora with another embedding model (or a new version of their own): resumable, batched."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="tenant id or exact name (default: every tenant)")
        parser.add_argument("--corpus", help="corpus id or name (needs --tenant)")
        parser.add_argument("--model", default="", help="embedding model (default: each corpus's own)")
        parser.add_argument("--force", action="store_true", help="re-embed even a corpus already on that version")
        parser.add_argument("--batch-documents", type=int, default=64, help="documents per write transaction")

    def handle(self, *args, **options):
        if options["corpus"] and not options["tenant"]:
            raise CommandError("--corpus needs --tenant")
        failed = 0
        for tenant, corpus in self._corpora(options):
            with tqdm(desc=f"{corpus.name[:20]}", unit="chunk", disable=options["verbosity"] < 1) as bar:
                try:
                    result = corpus_reembed(
                        tenant=tenant,
                        corpus_id=corpus.id,
                        model=options["model"],
                        force=options["force"],
                        batch_documents=options["batch_documents"],
                        progress=bar.update,
                    )
                except ApplicationError as exc:
                    failed += 1
                    self.stdout.write(f"{tenant.id} {corpus.id} failed reason={exc.message}")
                    continue
            self.stdout.write(
                f"{tenant.id} {corpus.id} {result.status} model={result.embedding_model} "
                f"generation={result.generation} documents={result.documents} chunks={result.chunks} "
                f"embedded={result.embedded}"
            )
        if failed:
            raise CommandError(f"{failed} corpus(es) failed")

    def _corpora(self, options) -> list[tuple[Tenant, Corpus]]:
        if options["tenant"]:
            tenant = _tenant(options["tenant"])
            with tenant_context(tenant.id):
                corpora = Corpus.objects.filter(tenant_id=tenant.id)
                if options["corpus"]:
                    value = options["corpus"]
                    try:
                        corpora = corpora.filter(pk=uuid.UUID(value))
                    except ValueError:
                        corpora = corpora.filter(name=value)
                found = list(corpora.order_by("created_at"))
            if options["corpus"] and not found:
                raise CommandError(f"no corpus {options['corpus']!r} for tenant {tenant.name!r}")
            return [(tenant, corpus) for corpus in found]
        with platform_access(actor="cli:rag_reembed", reason="list every tenant's corpora to re-embed"):
            found = list(Corpus.objects.order_by("tenant_id", "created_at"))
        tenants = {tenant.id: tenant for tenant in Tenant.objects.filter(pk__in={corpus.tenant_id for corpus in found})}
        return [(tenants[corpus.tenant_id], corpus) for corpus in found]
