"""The Speech-to-Text adapter: v1 `recognize` (synchronous, for commands under a minute) through
google-cloud-speech over REST, at the configured location's endpoint (`eu-speech.googleapis.com`
processes in the EU). The locale's hotel vocabulary and the caller's expected phrases go as
phrase hints. The timeout and our headers travel with each call; nothing is retried here."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from django.conf import settings
from google.cloud import speech

from routing.providers import google_cloud
from routing.providers.base import AuxiliaryRequest, AuxiliaryResult, RequestContext
from routing.providers.common import CAPABILITY_HEADER
from routing.providers.speech import mapping

MAX_AUDIO_BYTES = 10 * 1024 * 1024  # `recognize` takes at most 10 MB of inline audio


@dataclass(frozen=True)
class SpeechConfig:
    location: str | None = None  # eu, us or global; None: not configured
    endpoint: str | None = None  # None: <location>-speech.googleapis.com; http://127.0.0.1:PORT for the fake
    access_token: str | None = None


class SpeechAdapter:
    kind = "speech"

    def __init__(self, config: SpeechConfig) -> None:
        self.config = config
        self._client: speech.SpeechClient | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls) -> SpeechAdapter:
        return cls(
            SpeechConfig(
                location=settings.SPEECH_LOCATION or None,
                endpoint=settings.SPEECH_ENDPOINT or None,
                access_token=settings.GOOGLE_CLOUD_ACCESS_TOKEN or None,
            )
        )

    def is_configured(self, model: str | None = None) -> bool:
        return bool(self.config.location)

    def processing_regions(self, context: RequestContext) -> tuple[str, ...]:
        return (self.config.location,) if self.config.location else ()

    def extract(self, request: AuxiliaryRequest) -> AuxiliaryResult:
        if len(request.media.data) > MAX_AUDIO_BYTES:
            raise google_cloud.provider_error("bad_request", f"{mapping.PROVIDER} takes at most 10 MB of audio")
        locale = str(request.payload.get("locale") or request.context.locale or "en")
        body = mapping.recognize_request(request, locale)
        with google_cloud.translated_errors(mapping.PROVIDER):
            response = self._sdk().recognize(
                request=body,
                retry=None,
                timeout=max(0.001, request.timeout_seconds),
                metadata=google_cloud.call_metadata({CAPABILITY_HEADER: request.capability_id}),
            )
            data = speech.RecognizeResponse.to_dict(response)
        return replace(mapping.recognize_result(data), billed_units=mapping.billed_minutes(data, request.payload))

    def _sdk(self) -> speech.SpeechClient:
        with self._lock:
            if self._client is None:
                location = self.config.location or "global"
                endpoint = self.config.endpoint or (
                    "speech.googleapis.com" if location == "global" else f"{location}-speech.googleapis.com"
                )
                self._client = speech.SpeechClient(
                    transport="rest",
                    credentials=google_cloud.credentials(self.config.access_token),
                    client_options=google_cloud.client_options(endpoint),
                )
            return self._client
