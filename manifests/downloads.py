"""Time-limited signed download links for model files (seed 000: one hour).

A link carries a token signed with SECRET_KEY (django.core.signing, its own salt) naming the
file, its SHA-256 and the tenant it was issued to, with the time of issue. It is refused once
older than EDGE_DOWNLOAD_URL_SECONDS or if a byte of it changed. Serving re-checks the file's
digest, so a file changed on disk is never handed out under the manifest's name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

SALT = "manifests.download.v1"


class DownloadRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "expired" or "invalid"


@dataclass(frozen=True)
class DownloadGrant:
    file: str
    sha256: str
    tenant_id: str


def download_url(*, file: str, sha256: str, tenant_id: str) -> tuple[str, dt.datetime]:
    token = signing.TimestampSigner(salt=SALT).sign_object({"f": file, "s": sha256, "t": tenant_id}, compress=True)
    expires_at = timezone.now() + dt.timedelta(seconds=settings.EDGE_DOWNLOAD_URL_SECONDS)
    return reverse("edge-model-download", kwargs={"token": token}), expires_at


def check_download_token(token: str) -> DownloadGrant:
    try:
        claims = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=settings.EDGE_DOWNLOAD_URL_SECONDS)
    except signing.SignatureExpired as exc:
        raise DownloadRefused("expired") from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise DownloadRefused("invalid") from exc
    if not isinstance(claims, dict) or not {"f", "s", "t"} <= claims.keys():
        raise DownloadRefused("invalid")
    return DownloadGrant(file=str(claims["f"]), sha256=str(claims["s"]), tenant_id=str(claims["t"]))
