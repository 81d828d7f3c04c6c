"""manage.py tenant_offboard --tenant T --confirm [--export-dir DIR]

Exports every row of the tenant as JSON Lines (DIR/tenant-T.jsonl, default var/offboarding), then
deletes them, its reviewer accounts and its Redis keys (privacy/offboarding.py). Prints the counts
per table as JSON. Without --confirm it only prints what it would delete."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from melmastoon_ai.tenancy.models import Tenant
from privacy.offboarding import default_export_dir, tenant_offboard, tenant_row_counts


class Command(BaseCommand):
    help = "Export then delete every row of a tenant, in every app, and its Redis keys."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True)
        parser.add_argument("--confirm", action="store_true", help="really delete (else: a dry run of the counts)")
        parser.add_argument("--export-dir", default=str(default_export_dir()))
        parser.add_argument("--actor", default="cli")

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(pk=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"no tenant {options['tenant']}")
        if not options["confirm"]:
            counts = tenant_row_counts(tenant_id=tenant.id, actor=f"cli:{options['actor']}")
            self.stdout.write(json.dumps({"tenant_id": str(tenant.id), "dry_run": True, "rows": counts}))
            return
        report = tenant_offboard(
            tenant_id=tenant.id, export_dir=Path(options["export_dir"]), actor=f"cli:{options['actor']}"
        )
        self.stdout.write(
            json.dumps(
                {
                    "tenant_id": report.tenant_id,
                    "export": report.export_path,
                    "rows": report.rows,
                    "accounts": report.accounts,
                    "redis_keys": report.redis_keys,
                }
            )
        )
