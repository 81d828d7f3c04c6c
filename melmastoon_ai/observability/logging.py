"""Structured JSON logs that carry request id and tenant and never a secret.

Scrubbing happens in the formatter, the last step before a record leaves the process, so it
covers every logger, including third-party ones. PII redaction of free text joins it once the
guardrails exist (`melmastoon_ai.observability.scrub` is the single hook).
"""

from __future__ import annotations

import logging
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

from melmastoon_ai.observability.context import current_request_id
from melmastoon_ai.observability.scrub import scrub_value
from melmastoon_ai.tenancy.context import current_tenant_id


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        record.tenant_id = current_tenant_id()
        return True


class JsonFormatter(_BaseJsonFormatter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("timestamp", True)
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__("%(levelname)s %(name)s %(message)s", *args, **kwargs)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: scrub_value(value) for key, value in log_data.items()}
