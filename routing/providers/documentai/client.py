"""The Document AI adapter: `processDocument` on a region-pinned processor, through
google-cloud-documentai over REST.

The processor (an Identity Document parser, or the Form parser) is configured per environment
(DOCUMENT_AI_PROCESSOR, `projects/P/locations/eu/processors/ID`); calls go to that location's
endpoint (`eu-documentai.googleapis.com`), which is where the document is processed. The
timeout and our headers travel with each call; nothing is retried here (the router decides).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from django.conf import settings
from google.cloud import documentai

from routing.providers import google_cloud
from routing.providers.base import AuxiliaryRequest, AuxiliaryResult, RequestContext
from routing.providers.common import CAPABILITY_HEADER
from routing.providers.documentai import mapping


@dataclass(frozen=True)
class DocumentAiConfig:
    processor: str | None = None  # projects/P/locations/L/processors/ID[/processorVersions/V]
    endpoint: str | None = None  # None: L-documentai.googleapis.com; http://127.0.0.1:PORT for the fake
    access_token: str | None = None  # a static bearer token (fakes, tests); None: ADC


class DocumentAiAdapter:
    kind = "documentai"

    def __init__(self, config: DocumentAiConfig) -> None:
        self.config = config
        if config.processor:
            mapping.processor_location(config.processor)  # a misconfigured name fails at start
        self._client: documentai.DocumentProcessorServiceClient | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls) -> DocumentAiAdapter:
        return cls(
            DocumentAiConfig(
                processor=settings.DOCUMENT_AI_PROCESSOR or None,
                endpoint=settings.DOCUMENT_AI_ENDPOINT or None,
                access_token=settings.GOOGLE_CLOUD_ACCESS_TOKEN or None,
            )
        )

    def is_configured(self, model: str | None = None) -> bool:
        return bool(self.config.processor)

    def processing_regions(self, context: RequestContext) -> tuple[str, ...]:
        return (mapping.processor_location(self.config.processor),) if self.config.processor else ()

    def extract(self, request: AuxiliaryRequest) -> AuxiliaryResult:
        body = mapping.process_request(self.config.processor or "", request.media)
        with google_cloud.translated_errors(mapping.PROVIDER):
            response = self._sdk().process_document(
                request=body,
                retry=None,
                timeout=max(0.001, request.timeout_seconds),
                metadata=google_cloud.call_metadata({CAPABILITY_HEADER: request.capability_id}),
            )
            data = documentai.ProcessResponse.to_dict(response)
        return replace(mapping.document_result(data), billed_units=mapping.billed_pages(data))

    def _sdk(self) -> documentai.DocumentProcessorServiceClient:
        with self._lock:
            if self._client is None:
                location = mapping.processor_location(self.config.processor or "")
                endpoint = self.config.endpoint or f"{location}-documentai.googleapis.com"
                self._client = documentai.DocumentProcessorServiceClient(
                    transport="rest",
                    credentials=google_cloud.credentials(self.config.access_token),
                    client_options=google_cloud.client_options(endpoint),
                )
            return self._client
