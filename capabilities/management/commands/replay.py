"""`manage.py replay INFERENCE_ID`: the operator's replay of any tenant's inference (audited)."""

import json
import uuid

from django.core.management.base import BaseCommand, CommandError

from capabilities.replay import inference_replay
from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.tenancy.context import platform_access
from melmastoon_ai.tenancy.models import Tenant


class Command(BaseCommand):
    help = (
        "Replay a stored inference with its pinned prompt version, model, parameters and passages, and print "
        "the report (output-hash equality, field diff, trail diff) as JSON. Exit 1 when it cannot be replayed "
        "(replay_unavailable names what is missing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("inference_id")
        parser.add_argument("--actor", default="manage.py replay", help="who runs it, for the platform access log")

    def handle(self, *args, inference_id, actor, **options):
        from capabilities.models import InferenceRecord

        try:
            inference_id = str(uuid.UUID(inference_id))
        except ValueError as exc:
            raise CommandError(f"{inference_id!r} is not an inference id") from exc
        with platform_access(actor=f"cli:{actor}", reason=f"replay of inference {inference_id}"):
            owner = InferenceRecord.objects.filter(pk=inference_id).values_list("tenant_id", flat=True).first()
        if owner is None:
            raise CommandError(f"no inference {inference_id}")
        try:
            report = inference_replay(tenant=Tenant.objects.get(pk=owner), inference_id=inference_id)
        except ApplicationError as exc:
            self.stdout.write(
                json.dumps(
                    {"error": {"code": exc.code, "message": exc.message, "details": exc.details}}, indent=2, default=str
                )
            )
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(json.dumps(report.as_dict(), indent=2, default=str))
