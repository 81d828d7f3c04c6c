from __future__ import annotations

import re
import time

from django.conf import settings

from melmastoon_ai.errors import json_error
from melmastoon_ai.observability import metrics, timing, tracing
from melmastoon_ai.observability.context import bind_request_id, new_request_id
from melmastoon_ai.tenancy import context as tenancy_context
from melmastoon_ai.version import VERSION, VERSION_HEADER


class RequestIdMiddleware:
    """Give every request an id (the caller's X-Request-ID if well formed) and echo it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = new_request_id(request.headers.get("X-Request-ID"))
        request.request_id = request_id
        # Bound until the next request on this thread rebinds them, so that Django's own
        # request logging (after the middleware chain returns) still carries them.
        bind_request_id(request_id)
        tenancy_context.clear_tenant_for_request()
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        response[VERSION_HEADER] = VERSION  # which release answered (a rollout runs two side by side)
        return response


class TraceContextMiddleware:
    """The request's trace: the caller's W3C `traceparent` (or a new one), a server span around
    the request while it runs (exported only when OTLP is configured: observability/tracing.py),
    and the trace's `traceparent` echoed back so a caller without one can find the trace."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        carrier = {name: request.headers[name] for name in ("traceparent", "tracestate") if name in request.headers}
        with tracing.server_span(
            f"{request.method} {request.path_info[:100]}",
            carrier,
            attributes={
                "http.request.method": request.method,
                "melmastoon.request_id": getattr(request, "request_id", ""),
            },
        ) as span:
            response = self.get_response(request)
            span.set_attribute("http.response.status_code", response.status_code)
            traceparent = tracing.current_traceparent()
        if traceparent:
            response["traceparent"] = traceparent
        return response


class GatewayOverheadMiddleware:
    """`X-Gateway-Overhead-Ms` on API responses: wall time in the gateway minus provider calls,
    from the first middleware to the response (auth, validation, database, cache included)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        timing.reset_provider_time()
        response = self.get_response(request)
        if request.path.startswith("/api/v1/"):
            overhead = (time.perf_counter() - started) * 1000 - timing.provider_time_ms()
            response["X-Gateway-Overhead-Ms"] = f"{max(0.0, overhead):.2f}"
        return response


_DOCUMENT_UPLOAD = re.compile(r"^/api/v1/ai/rag/corpora/[^/]+/documents$")
_MULTIPART_OVERHEAD = 64 * 1024  # the form's boundaries and its other fields


class BodySizeLimitMiddleware:
    """413 before anything reads a body over MAX_REQUEST_BODY_BYTES (DRF parsers read the raw stream)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return json_error(400, "invalid_request", "Content-Length is not a number.")
        limit = settings.MAX_REQUEST_BODY_BYTES
        if (
            request.method == "POST"
            and _DOCUMENT_UPLOAD.match(request.path_info)
            and request.META.get("CONTENT_TYPE", "").startswith("multipart/form-data")
        ):
            limit = settings.RAG_MAX_DOCUMENT_BYTES + _MULTIPART_OVERHEAD  # a document upload (rag/apis.py)
        if length > limit:
            return json_error(
                413,
                "payload_too_large",
                f"The body is {length} bytes; the limit is {limit}.",
                {"limit_bytes": limit},
            )
        return self.get_response(request)


def _route(request) -> str:
    """The URL pattern (not the path: ids would explode label cardinality), resolved once by Django."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.route or match.view_name or "unknown"


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        with metrics.HTTP_IN_FLIGHT.track_inprogress():
            response = self.get_response(request)
        route = _route(request)
        metrics.HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        metrics.HTTP_LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
        return response


class DatabaseUnavailableMiddleware:
    """503 `unavailable` when the database cannot be reached (API.md), never a bare 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.db import InterfaceError, OperationalError

        if isinstance(exception, OperationalError | InterfaceError):
            return json_error(503, "unavailable", "The database is unavailable; try again shortly.")
        return None
