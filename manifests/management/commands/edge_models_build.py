from django.core.management.base import BaseCommand

from manifests.building import edge_models_build, edge_models_in_place
from manifests.publishing import manifest_publish_request


class Command(BaseCommand):
    help = (
        "Put the edge models into EDGE_MODEL_DIR (copy all-MiniLM-L6-v2 int8 and its tokenizer, train the "
        "anomaly and photo-quality models), register them, and with --publish sign and publish a manifest "
        "(on the signer service when MANIFEST_PUBLISHER_URL is set)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--publish", action="store_true", help="sign and publish a manifest listing them")
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="do nothing when a published manifest verifies and its files match (make run)",
        )

    def handle(self, *args, publish: bool, if_missing: bool, **options):
        if if_missing and edge_models_in_place():
            self.stdout.write("edge models in place: the published manifest verifies and its files match")
            return
        for model, note in edge_models_build():
            self.stdout.write(f"{model.name} {model.version} sha256={model.sha256} size={model.size} ({note})")
        if publish:
            manifest = manifest_publish_request(actor="manage.py edge_models_build")
            self.stdout.write(f"published manifest {manifest.version} signed by {manifest.key_version.name}")
