"""The Cloud Vision adapter: `images:annotate` through google-cloud-vision over REST, at the
configured location's endpoint (`eu-vision.googleapis.com` processes in the EU).

It answers vision.photo_quality's schema itself: the chain's cloud step after the edge scorer.
The image is the input's inline bytes or the object its reference names (routing/media.py)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from django.conf import settings
from google.cloud import vision

from routing.providers import google_cloud
from routing.providers.base import ProviderRequest, ProviderResponse, RequestContext
from routing.providers.common import call_headers, provider_error, timeout_seconds
from routing.providers.vision import mapping


@dataclass(frozen=True)
class VisionConfig:
    location: str | None = None  # eu or us; None: not configured
    endpoint: str | None = None  # None: <location>-vision.googleapis.com; http://127.0.0.1:PORT for the fake
    access_token: str | None = None


class VisionAdapter:
    kind = "vision"

    def __init__(self, config: VisionConfig) -> None:
        self.config = config
        self._client: vision.ImageAnnotatorClient | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls) -> VisionAdapter:
        return cls(
            VisionConfig(
                location=settings.VISION_LOCATION or None,
                endpoint=settings.VISION_ENDPOINT or None,
                access_token=settings.GOOGLE_CLOUD_ACCESS_TOKEN or None,
            )
        )

    def is_configured(self, model: str | None = None) -> bool:
        return bool(self.config.location)

    def processing_regions(self, context: RequestContext) -> tuple[str, ...]:
        return (self.config.location,) if self.config.location else ()

    def complete(self, request: ProviderRequest) -> ProviderResponse:
        if request.capability_id != "vision.photo_quality":
            raise provider_error("bad_request", f"{mapping.PROVIDER} only scores photos")
        media = request.context.media_of("image")
        if media is None:
            raise provider_error("bad_request", f"{mapping.PROVIDER} was given no image")
        with google_cloud.translated_errors(mapping.PROVIDER):
            response = self._sdk().batch_annotate_images(
                request=mapping.annotate_request(media),
                retry=None,
                timeout=timeout_seconds(request),
                metadata=google_cloud.call_metadata(call_headers(request)),
            )
            data = vision.BatchAnnotateImagesResponse.to_dict(response)
        scored = mapping.photo_quality(data, payload=request.payload, size=mapping.image_size(media.data))
        return replace(scored, billed_units=len(mapping.FEATURES))  # Cloud Vision bills each feature per image

    def _sdk(self) -> vision.ImageAnnotatorClient:
        with self._lock:
            if self._client is None:
                endpoint = self.config.endpoint or f"{self.config.location}-vision.googleapis.com"
                self._client = vision.ImageAnnotatorClient(
                    transport="rest",
                    credentials=google_cloud.credentials(self.config.access_token),
                    client_options=google_cloud.client_options(endpoint),
                )
            return self._client
