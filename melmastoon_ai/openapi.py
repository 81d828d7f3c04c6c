"""OpenAPI: every /api/v1 operation documents the error envelope of API.md for its codes."""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "request_id", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "request_id": {"type": "string", "nullable": True},
                "details": {"type": "object", "additionalProperties": True},
            },
        }
    },
}

ERROR_STATUSES = {
    "400": "invalid_request", "401": "unauthenticated", "403": "forbidden", "404": "not_found / unknown_capability",
    "405": "method_not_allowed", "409": "idempotency_conflict / conflict / lifecycle_refused",
    "413": "payload_too_large", "422": "input_schema_violation / content_blocked", "429": "rate_limited",
    "503": "unavailable",
}


def add_error_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, codes in ERROR_STATUSES.items():
                responses.setdefault(status, {
                    "description": f"error: {codes}",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                })
    return result
