"""JSON Schema validation with errors as JSON pointers (API.md: input_schema_violation), compiled once
per schema key: capability inputs and outputs, HITL edits, eval cases."""

from __future__ import annotations

import threading

from jsonschema import Draft202012Validator, FormatChecker

_validators: dict[tuple, Draft202012Validator] = {}
_lock = threading.Lock()


def validator_for(schema: dict, *, key: tuple) -> Draft202012Validator:
    """A compiled validator per (capability, version, direction): schemas are versioned with it."""
    validator = _validators.get(key)
    if validator is None:
        validator = Draft202012Validator(schema, format_checker=FormatChecker())
        with _lock:
            _validators[key] = validator
    return validator


def _pointer(path) -> str:
    return "".join(f"/{str(part).replace('~', '~0').replace('/', '~1')}" for part in path) or "/"


def schema_errors(schema: dict, instance: object, *, key: tuple, limit: int = 20) -> list[dict]:
    validator = validator_for(schema, key=key)
    errors = sorted(validator.iter_errors(instance), key=lambda error: list(error.absolute_path))
    return [{"pointer": _pointer(error.absolute_path), "message": error.message[:300]} for error in errors[:limit]]
