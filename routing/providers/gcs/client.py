"""Reads a referenced object through google-cloud-storage: its metadata first (size and content
type checked before a byte is downloaded), then at most the allowed bytes, checksum-verified.

Configuration through the constructor (`GcsConfig`); `from_settings()` reads Django settings.
Only the buckets configured may be read (MEDIA_GCS_BUCKETS): a reference is caller input, and
the gateway's credentials must not become a way to read any bucket they reach.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from google.api_core import exceptions as core_exceptions
from google.cloud import storage  # type: ignore[attr-defined]  # google-cloud-storage ships no stubs

from routing.providers import google_cloud
from routing.providers.base import MediaItem
from routing.providers.common import provider_error
from routing.providers.gcs import mapping
from routing.providers.gcs.mapping import MediaRefusal

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class GcsConfig:
    project: str | None = None
    buckets: tuple[str, ...] = ()  # the buckets references may name; none: no reference is read
    endpoint: str | None = None  # None: storage.googleapis.com; http://127.0.0.1:PORT for the fake
    access_token: str | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


class GcsMediaReader:
    kind = "gcs"

    def __init__(self, config: GcsConfig) -> None:
        self.config = config
        self._client: storage.Client | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls) -> GcsMediaReader:
        return cls(
            GcsConfig(
                project=settings.GCS_PROJECT or None,
                buckets=tuple(settings.MEDIA_GCS_BUCKETS),
                endpoint=settings.GCS_ENDPOINT or None,
                access_token=settings.GOOGLE_CLOUD_ACCESS_TOKEN or None,
                max_bytes=settings.MEDIA_MAX_BYTES,
            )
        )

    def is_configured(self, model: str | None = None) -> bool:
        return bool(self.config.project and self.config.buckets)

    def read(self, ref: str, *, kind: str, timeout: float | None = None) -> MediaItem:
        """The object's bytes. MediaRefusal when it can never be read as asked; ProviderError when
        Cloud Storage failed this time (timeout, 5xx, unreachable)."""
        target = mapping.parse_ref(ref)
        if target.bucket not in self.config.buckets:
            raise MediaRefusal(f"bucket {target.bucket} is not one this gateway reads media from")
        seconds = min(timeout or self.config.timeout_seconds, self.config.timeout_seconds)
        bucket = self._sdk().bucket(target.bucket)
        with google_cloud.translated_errors(mapping.PROVIDER), _refusals():
            blob = bucket.get_blob(target.name, timeout=seconds, retry=None)
            if blob is None:
                raise MediaRefusal("the referenced object does not exist")
            content_type = mapping.check_object(
                kind=kind, size=blob.size, content_type=blob.content_type, max_bytes=self.config.max_bytes
            )
            # the generation read above, so the bytes are the object that was checked
            data = blob.download_as_bytes(
                timeout=seconds, retry=None, if_generation_match=blob.generation, checksum="crc32c"
            )
        if len(data) != blob.size:
            raise provider_error("malformed", f"{mapping.PROVIDER} sent {len(data)} of {blob.size} bytes")
        return MediaItem(kind=kind, data=data, content_type=content_type, ref=ref)

    def _sdk(self) -> storage.Client:
        with self._lock:
            if self._client is None:
                self._client = storage.Client(
                    project=self.config.project,
                    credentials=google_cloud.credentials(self.config.access_token),
                    client_options=google_cloud.client_options(self.config.endpoint),
                )
            return self._client


@contextmanager
def _refusals() -> Iterator[None]:
    """A missing object or a refused read is the caller's reference, not an outage."""
    try:
        yield
    except core_exceptions.NotFound as exc:
        raise MediaRefusal("the referenced object does not exist") from exc
    except core_exceptions.Forbidden as exc:
        raise MediaRefusal("this gateway may not read the referenced object") from exc
    except core_exceptions.PreconditionFailed as exc:
        raise MediaRefusal("the referenced object changed while it was read") from exc
