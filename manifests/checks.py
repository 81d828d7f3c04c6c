"""MANIFEST_SIGNER must parse; a configured KMS signer must answer before the service serves.

The system check (run by `check`/`runserver`) validates the setting without network access;
`require_reachable_signer` (run by wsgi.py/asgi.py before serving, like the database role
check) fetches the KMS public key and refuses to start, with the reason, if it cannot.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from manifests.signing import SignerError
from manifests.signing.factory import parse_signer_spec, signer_from_settings


@register("security")
def check_manifest_signer(app_configs=None, **kwargs):
    try:
        parse_signer_spec(settings.MANIFEST_SIGNER)
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="manifests.E001")]
    return []


def require_reachable_signer() -> None:
    backend, key_version = parse_signer_spec(settings.MANIFEST_SIGNER)
    if backend != "kms":
        return
    try:
        signer_from_settings().public_key_pem(key_version)
    except SignerError as exc:
        raise ImproperlyConfigured(
            f"MANIFEST_SIGNER is a Cloud KMS key version, but KMS did not answer ({exc}); "
            "check KMS_API_ENDPOINT, credentials and the key version name"
        ) from exc
