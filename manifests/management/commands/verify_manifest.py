"""Verify a manifest as the desktop does: `python manage.py verify_manifest FILE`.

FILE is what `GET /api/v1/ai/manifests/latest` answers (JSON with `manifest`, `signature`,
`key_version`, `public_key_pem`). The signature is checked with that public key, or with a
pinned one (`--public-key PEM_FILE`, as an installer ships it); `--models-dir DIR` also checks
every listed file's size and SHA-256. Exit 0 with one `OK` line, or non-zero with the reason.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from manifests.files import hash_file
from manifests.verification import ManifestRefused, check_signed_manifest


class Command(BaseCommand):
    help = "Verify a signed edge model manifest (and optionally the model files) as the desktop does."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the JSON of GET /api/v1/ai/manifests/latest")
        parser.add_argument("--public-key", help="a pinned PEM public key instead of the one in FILE")
        parser.add_argument("--models-dir", help="check each listed file under this directory")

    def handle(self, *args, file: str, public_key: str | None, models_dir: str | None, **options):
        try:
            signed = json.loads(Path(file).read_text(encoding="utf-8"))
            body, signature, key_version = signed["manifest"], signed["signature"], signed["key_version"]
            pem = Path(public_key).read_text() if public_key else signed["public_key_pem"]
            if not all(isinstance(value, str) for value in (body, signature, key_version, pem)):
                raise TypeError("manifest, signature, key_version and public_key_pem must be strings")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CommandError(
                f"FAILED: unreadable: {file} is not a signed manifest document ({type(exc).__name__}: {exc})"
            ) from exc
        try:
            verified = check_signed_manifest(
                body=body.encode("utf-8"), signature_b64=signature, key_version=key_version, public_key_pem=pem
            )
        except ManifestRefused as refused:
            raise CommandError(f"FAILED: {refused.reason}: {refused.message}") from refused
        checked = self._check_files(verified.models.values(), Path(models_dir)) if models_dir else 0
        files_note = f", {checked} file(s) match" if models_dir else ""
        self.stdout.write(
            f"OK manifest {verified.version} signed by {key_version} ({len(verified.models)} models{files_note})"
        )

    def _check_files(self, entries, root: Path) -> int:
        checked = 0
        for entry in entries:
            for described in (entry, *entry.get("assets", [])):
                path = root / described["file"]
                if not path.is_file():
                    raise CommandError(f"FAILED: file_missing: {described['file']} is not under {root}")
                if path.stat().st_size != described["size"] or hash_file(path) != described["sha256"]:
                    raise CommandError(f"FAILED: sha256_mismatch: {described['file']} does not match the manifest")
                checked += 1
        return checked
