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
    "400": "invalid_request",
    "401": "unauthenticated",
    "403": "forbidden",
    "404": "not_found / unknown_capability",
    "405": "method_not_allowed",
    "409": "idempotency_conflict / conflict / lifecycle_refused",
    "413": "payload_too_large",
    "422": "input_schema_violation / content_blocked",
    "429": "rate_limited",
    "503": "unavailable",
}


# The OpenAI-compatible surface (/v1/...) answers errors in OpenAI's shape (capabilities/openai_compat.py).
OPENAI_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message", "type", "param", "code"],
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "param": {"type": "string", "nullable": True},
                "code": {"type": "string", "nullable": True},
                "request_id": {"type": "string", "nullable": True},
            },
        }
    },
}
ERROR_SURFACES = {"/api/v1/": "Error", "/v1/": "OpenAIError"}


def add_error_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"], components["OpenAIError"] = ERROR_SCHEMA, OPENAI_ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        schema = next((name for prefix, name in ERROR_SURFACES.items() if path.startswith(prefix)), None)
        if schema is None:
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, codes in ERROR_STATUSES.items():
                responses.setdefault(
                    status,
                    {
                        "description": f"error: {codes}",
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
                    },
                )
    return result
