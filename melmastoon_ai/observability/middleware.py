from __future__ import annotations

import time

from django.conf import settings

from melmastoon_ai.errors import json_error
from melmastoon_ai.observability import metrics, timing
from melmastoon_ai.observability.context import bind_request_id, new_request_id
from melmastoon_ai.tenancy import context as tenancy_context


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


class BodySizeLimitMiddleware:
    """413 before anything reads a body over MAX_REQUEST_BODY_BYTES (DRF parsers read the raw stream)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return json_error(400, "invalid_request", "Content-Length is not a number.")
        if length > settings.MAX_REQUEST_BODY_BYTES:
            return json_error(
                413, "payload_too_large",
                f"The body is {length} bytes; the limit is {settings.MAX_REQUEST_BODY_BYTES}.",
                {"limit_bytes": settings.MAX_REQUEST_BODY_BYTES},
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
