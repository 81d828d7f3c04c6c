"""manage.py erase_subject --tenant T [--subject-ref R] [--email E] [--phone P] [--name N] ... [--no-wait]

Records an erasure request and runs it in this process (`--no-wait`: queue it for the workers
instead). Prints the request's id, status and the counts per store (never the identifier)."""

import json

from django.core.management.base import BaseCommand, CommandError

from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.tenancy.models import Tenant
from privacy.models import ErasureRequest
from privacy.services import erasure_request_create, erasure_run


class Command(BaseCommand):
    help = "Erase a data subject from every store of a tenant (or resume an erasure with --resume ID)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant id")
        for kind in ErasureRequest.Kind.values:
            parser.add_argument(
                f"--{kind.replace('_', '-')}",
                dest=kind,
                action="append",
                default=[],
                help=f"a {kind} of the subject (repeatable)",
            )
        parser.add_argument("--reason", default="")
        parser.add_argument("--actor", default="cli")
        parser.add_argument("--resume", metavar="ERASURE_ID", help="run an existing request again")
        parser.add_argument("--no-wait", action="store_true", help="queue the run for the workers")

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(pk=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"no tenant {options['tenant']}")
        if options["resume"]:
            erasure_id = options["resume"]
        else:
            identifiers = [(kind, value) for kind in ErasureRequest.Kind.values for value in options[kind]]
            try:
                erasure = erasure_request_create(
                    tenant=tenant,
                    identifiers=identifiers,
                    requested_by=f"cli:{options['actor']}",
                    reason=options["reason"],
                    enqueue=options["no_wait"],
                )
            except ApplicationError as exc:
                raise CommandError(exc.message) from exc
            erasure_id = str(erasure.id)
        status = (
            "queued"
            if options["no_wait"] and not options["resume"]
            else erasure_run(erasure_id=erasure_id, tenant_id=tenant.id)
        )
        from melmastoon_ai.tenancy.context import tenant_context

        with tenant_context(tenant.id):
            counts = (
                ErasureRequest.objects.filter(tenant_id=tenant.id, pk=erasure_id)
                .values_list("counts", flat=True)
                .first()
            )
        self.stdout.write(json.dumps({"erasure_id": erasure_id, "status": status, "stores": counts or {}}))
