"""The error envelope of API.md, rendered from one place.

Domain code raises `ApplicationError` (or a subclass); DRF and Django errors are mapped here.
Nothing else builds error JSON by hand.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, connections
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

from melmastoon_ai.observability.context import current_request_id

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    status = 400
    code = "invalid_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.status = status or self.status
        self.details = details or {}
        self.headers = headers or {}


class NotFound(ApplicationError):
    status = 404
    code = "not_found"


class Conflict(ApplicationError):
    status = 409
    code = "conflict"


class SchemaViolation(ApplicationError):
    """422 input_schema_violation: a document fails its JSON Schema (`details.errors`: pointers)."""

    status = 422
    code = "input_schema_violation"


class Unavailable(ApplicationError):
    status = 503
    code = "unavailable"


def envelope(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "request_id": current_request_id(), "details": details or {}}}


def _drf_details(exc: drf.APIException) -> dict[str, Any]:
    if isinstance(exc.detail, dict | list):
        return {"fields": exc.detail}
    return {}


_DRF_CODES: list[tuple[type[Exception], int, str]] = [
    (drf.NotAuthenticated, 401, "unauthenticated"),
    (drf.AuthenticationFailed, 401, "unauthenticated"),
    (drf.PermissionDenied, 403, "forbidden"),
    (DjangoPermissionDenied, 403, "forbidden"),
    (drf.NotFound, 404, "not_found"),
    (Http404, 404, "not_found"),
    (drf.MethodNotAllowed, 405, "method_not_allowed"),
    (drf.NotAcceptable, 406, "not_acceptable"),
    (drf.UnsupportedMediaType, 400, "invalid_request"),
    (drf.ParseError, 400, "invalid_request"),
    (drf.ValidationError, 400, "invalid_request"),
    (drf.Throttled, 429, "rate_limited"),
]


def _message(exc: Exception, status: int) -> str:
    if isinstance(exc, drf.ValidationError):
        return "The request is invalid."
    if isinstance(exc, drf.APIException):
        return str(exc.detail) if isinstance(exc.detail, str) else str(exc.default_detail)
    if status == 404:
        return "Not found."
    return str(exc) or "Forbidden."


def set_rollback() -> None:
    """Mark the request transaction for rollback: an error never leaves a half-written record."""
    for conn in connections.all(initialized_only=True):
        if conn.settings_dict.get("ATOMIC_REQUESTS") and conn.in_atomic_block:
            conn.set_rollback(True)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error leaves in the envelope and rolls the request back (a view
    outside the request transaction has rolled back its own short transactions already)."""
    if getattr(context.get("view"), "atomic_request", True):
        set_rollback()
    if isinstance(exc, ApplicationError):
        response = Response(envelope(exc.code, exc.message, exc.details), status=exc.status)
        for name, value in exc.headers.items():
            response[name] = value
        return response
    if isinstance(exc, OperationalError | InterfaceError):
        logger.error("database unavailable", extra={"error_class": type(exc).__name__})
        return Response(envelope("unavailable", "The database is unavailable; try again shortly."), status=503)
    for klass, status, code in _DRF_CODES:
        if isinstance(exc, klass):
            details = _drf_details(exc) if isinstance(exc, drf.APIException) else {}
            response = Response(envelope(code, _message(exc, status), details), status=status)
            if isinstance(exc, drf.Throttled) and exc.wait is not None:
                response["Retry-After"] = str(int(exc.wait) + 1)
            if status == 401:
                response["WWW-Authenticate"] = 'Bearer realm="melmastoon-ai"'
            return response
    if isinstance(exc, IntegrityError):
        # A constraint the services should have checked first; the database still holds the line.
        logger.warning("integrity error reached the API", extra={"error_class": type(exc).__name__})
        return Response(envelope("conflict", "The change conflicts with the current state."), status=409)
    if isinstance(exc, DatabaseError):
        logger.exception("database error")
        return Response(envelope("internal_error", "An internal error occurred."), status=500)
    return None


def json_error(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> JsonResponse:
    """For the few places outside DRF (middleware, Django's handler404/500)."""
    return JsonResponse(envelope(code, message, details), status=status)


def handler404(request, exception=None):
    return json_error(404, "not_found", "Not found.")


def handler500(request):
    return json_error(500, "internal_error", "An internal error occurred.")


def handler400(request, exception=None):
    return json_error(400, "invalid_request", "Bad request.")


def handler403(request, exception=None):
    return json_error(403, "forbidden", "Forbidden.")
