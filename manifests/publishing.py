"""Who signs a manifest: this process, or the manifest signer service (seed 000).

In production only the signer service holds the KMS signer identity. The API's publish endpoint and
the edge-model job ask it over HTTP (`MANIFEST_PUBLISHER_URL`), presenting the shared `SIGNER_TOKEN`
and, for an `https://` URL (Cloud Run), a Google ID token for the signer's URL, which Cloud Run's IAM
checks before the request reaches the signer (the API's service account holds `run.invoker` on it,
nothing else does). Without `MANIFEST_PUBLISHER_URL` the process signs itself with MANIFEST_SIGNER
(`make run`, tests, compose's local key).
"""

from __future__ import annotations

import httpx
from django.conf import settings

from manifests.models import EdgeModelManifest
from manifests.services import manifest_publish
from melmastoon_ai.errors import ApplicationError, Unavailable

PUBLISH_PATH = "/internal/manifests/publish"
SIGNER_TOKEN_HEADER = "X-Signer-Token"  # noqa: S105  (a header name, not a secret)
TIMEOUT_SECONDS = 30.0


def _id_token(audience: str) -> str:
    """A Google ID token for the signer's URL, from the metadata server of the instance (Cloud Run)."""
    import google.auth.transport.requests
    from google.oauth2 import id_token

    return id_token.fetch_id_token(google.auth.transport.requests.Request(), audience)


def _headers(url: str) -> dict[str, str]:
    headers = {SIGNER_TOKEN_HEADER: settings.SIGNER_TOKEN or ""}
    if url.startswith("https://"):
        headers["Authorization"] = f"Bearer {_id_token(url)}"
    return headers


def manifest_publish_request(*, actor: str, version: str | None = None) -> EdgeModelManifest:
    """Publish a manifest of the enabled edge models, signed wherever this deployment signs."""
    url = (settings.MANIFEST_PUBLISHER_URL or "").rstrip("/")
    if not url:
        return manifest_publish(actor=actor, version=version)
    body = {"actor": actor, **({"version": version} if version else {})}
    try:
        response = httpx.post(f"{url}{PUBLISH_PATH}", json=body, headers=_headers(url), timeout=TIMEOUT_SECONDS)
    except (httpx.HTTPError, OSError) as exc:
        raise Unavailable(f"the manifest signer service is unreachable ({type(exc).__name__})") from exc
    if response.status_code != 201:
        error = _error_of(response)
        raise ApplicationError(
            f"the manifest signer refused: {error.get('message', response.status_code)}",
            code=error.get("code", "unavailable"),
            status=response.status_code if response.status_code < 500 else 503,
            details=error.get("details") or {},
        )
    return EdgeModelManifest.objects.select_related("key_version").get(version=response.json()["version"])


def _error_of(response: httpx.Response) -> dict:
    try:
        return response.json().get("error") or {}
    except ValueError:
        return {}
