"""The Cloud Translation adapter: v3 `translateText` through google-cloud-translate over REST, one
call per chunk of the text, all inside the attempt's timeout.

It answers translation.draft's schema itself, so the router uses it as any provider of the
chain (attempts, breaker, residency). Calls go to the configured location (europe-west1 on the
EU endpoint keeps the text in the EU)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace

from django.conf import settings
from google.cloud import translate_v3

from routing.providers import google_cloud
from routing.providers.base import ProviderRequest, ProviderResponse, RequestContext
from routing.providers.common import call_headers, provider_error
from routing.providers.translation import mapping

DEFAULT_LOCATION = "europe-west1"


@dataclass(frozen=True)
class TranslationConfig:
    project: str | None = None
    location: str = DEFAULT_LOCATION
    endpoint: str | None = None  # None: translate-eu.googleapis.com for an EU location, else translate.googleapis.com
    access_token: str | None = None


class TranslationAdapter:
    kind = "translation"

    def __init__(self, config: TranslationConfig) -> None:
        self.config = config
        self._client: translate_v3.TranslationServiceClient | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls) -> TranslationAdapter:
        return cls(
            TranslationConfig(
                project=settings.TRANSLATION_PROJECT or None,
                location=settings.TRANSLATION_LOCATION or DEFAULT_LOCATION,
                endpoint=settings.TRANSLATION_ENDPOINT or None,
                access_token=settings.GOOGLE_CLOUD_ACCESS_TOKEN or None,
            )
        )

    def is_configured(self, model: str | None = None) -> bool:
        return bool(self.config.project)

    def processing_regions(self, context: RequestContext) -> tuple[str, ...]:
        return (self.config.location,)

    def complete(self, request: ProviderRequest) -> ProviderResponse:
        payload = request.payload
        if request.capability_id != "translation.draft" or "source_text" not in payload:
            raise provider_error("bad_request", f"{mapping.PROVIDER} only drafts translations")
        parent = f"projects/{self.config.project}/locations/{self.config.location}"
        deadline = time.monotonic() + max(0.001, request.timeout_seconds)
        metadata = google_cloud.call_metadata(call_headers(request))
        translated = []
        for chunk, separator in mapping.chunks(payload["source_text"]):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise provider_error("timeout", f"{mapping.PROVIDER} did not finish in time")
            body = mapping.translate_request(
                parent=parent,
                text=chunk,
                source_locale=payload["source_locale"],
                target_locale=payload["target_locale"],
            )
            with google_cloud.translated_errors(mapping.PROVIDER):
                response = self._sdk().translate_text(request=body, retry=None, timeout=remaining, metadata=metadata)
                data = translate_v3.TranslateTextResponse.to_dict(response)
            translated.append((mapping.translated_text(data), separator))
        return replace(mapping.draft(payload, translated), billed_units=len(payload["source_text"]))

    def _sdk(self) -> translate_v3.TranslationServiceClient:
        with self._lock:
            if self._client is None:
                eu = self.config.location.startswith("europe-") or self.config.location == "eu"
                endpoint = self.config.endpoint or ("translate-eu.googleapis.com" if eu else "translate.googleapis.com")
                self._client = translate_v3.TranslationServiceClient(
                    transport="rest",
                    credentials=google_cloud.credentials(self.config.access_token),
                    client_options=google_cloud.client_options(endpoint),
                )
            return self._client
