"""W3C trace context (`traceparent`) through the gateway, and OTLP span export when configured.

Every request gets a trace: the caller's (a well-formed `traceparent` header, W3C Trace Context
level 1) or a new one. Its trace id is stored in the decision trail of each inference; its
`traceparent` is sent with every provider call (routing/providers/common.py::call_headers) and
with every Celery task published while it runs (the signals below), so one trace joins the
caller, the gateway, the providers and the workers.

Spans use the official OpenTelemetry API. With `OTEL_TRACES_ENDPOINT` empty (the default) no SDK
is installed and nothing is exported: the API's non-recording spans only carry the context. With
it set, `configure_tracing()` installs the SDK's tracer provider with a batching OTLP/HTTP
(protobuf) exporter to that endpoint, and the request, provider-call and task spans are exported.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

logger = logging.getLogger(__name__)
TRACER_NAME = "melmastoon_ai"
PROPAGATOR = TraceContextTextMapPropagator()
_configured: dict[str, Any] = {}


def configure_tracing(*, endpoint: str, service_name: str, timeout_seconds: float = 5.0) -> bool:
    """Install the SDK and its OTLP/HTTP exporter once per process; False (nothing done) without an endpoint."""
    if not endpoint or "provider" in _configured:
        return bool(endpoint)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, timeout=timeout_seconds)))
    trace.set_tracer_provider(provider)
    _configured["provider"] = provider
    logger.info("OTLP span export on", extra={"endpoint": endpoint})
    return True


def flush(timeout_millis: int = 5000) -> None:
    """Export what the batch holds now (tests, and a worker about to exit)."""
    provider = _configured.get("provider")
    if provider is not None:
        provider.force_flush(timeout_millis)


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME)


def _new_root() -> otel_context.Context:
    """A trace of our own when the caller sent none and no SDK makes one: random ids, not sampled."""
    span_context = SpanContext(
        trace_id=random.getrandbits(128) or 1,
        span_id=random.getrandbits(64) or 1,
        is_remote=False,
        trace_flags=TraceFlags(TraceFlags.DEFAULT),
    )
    return trace.set_span_in_context(NonRecordingSpan(span_context))


def extracted(carrier: dict[str, str]) -> otel_context.Context:
    """The caller's context from `traceparent`/`tracestate` (malformed ones are ignored, per W3C)."""
    parent = PROPAGATOR.extract(carrier={key.lower(): value for key, value in carrier.items()})
    if trace.get_current_span(parent).get_span_context().is_valid:
        return parent
    if "provider" in _configured:
        return parent  # the SDK starts a new trace of its own
    return _new_root()


@contextmanager
def server_span(
    name: str, carrier: dict[str, str], *, kind: SpanKind = SpanKind.SERVER, attributes: dict | None = None
) -> Iterator[trace.Span]:
    """A span for a request or a task, child of the caller's context, current while it runs."""
    token = otel_context.attach(extracted(carrier))
    try:
        with tracer().start_as_current_span(name, kind=kind, attributes=attributes or {}) as span:
            yield span
    finally:
        otel_context.detach(token)


@contextmanager
def client_span(name: str, attributes: dict | None = None) -> Iterator[trace.Span]:
    """A span around an outbound call (a provider's), child of the current one."""
    with tracer().start_as_current_span(name, kind=SpanKind.CLIENT, attributes=attributes or {}) as span:
        yield span


def current_trace_id() -> str:
    """The 32-hex trace id of the running request or task, "" outside any trace."""
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else ""


def current_traceparent() -> str:
    """The `traceparent` an outbound call made now carries, "" outside any trace."""
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier)
    return carrier.get("traceparent", "")


def inject_into(headers: dict) -> None:
    """Put the current trace context into a message's headers (Celery's, for one)."""
    PROPAGATOR.inject(headers)
