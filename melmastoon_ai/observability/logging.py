"""Structured JSON logs that carry request id and tenant and never a secret.

Scrubbing happens in the formatter, the last step before a record leaves the process, so it
covers every logger, including third-party ones. PII redaction of free text joins it once the
guardrails exist (`melmastoon_ai.observability.scrub` is the single hook).
"""

from __future__ import annotations

import ast
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


IDLE_TASKS = frozenset({"outbox.relay"})


class IdleTaskFilter(logging.Filter):
    """Celery's "Task outbox.relay[...] succeeded" line, written every few seconds by beat's relay
    while there is nothing to relay, is chatter: it goes to DEBUG (shown only when LOG_LEVEL is
    DEBUG). A relay that moved, retried or parked events keeps its INFO line."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, dict) else {}
        if record.name != "celery.app.trace" or args.get("name") not in IDLE_TASKS:
            return True
        try:  # Celery logs the result's repr: "{'published': 0, 'duplicates': 0, ...}"
            result = ast.literal_eval(str(args.get("return_value")))
            idle = isinstance(result, dict) and not any(int(value) for value in result.values())
        except (SyntaxError, TypeError, ValueError):
            idle = False
        if not idle or record.levelno != logging.INFO:
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)


class JsonFormatter(_BaseJsonFormatter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("timestamp", True)
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__("%(levelname)s %(name)s %(message)s", *args, **kwargs)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: scrub_value(value) for key, value in log_data.items()}
