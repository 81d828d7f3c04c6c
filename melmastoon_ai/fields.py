"""Strict DRF fields: JSON types are checked, not coerced (42 is not a name, "5" not a number).

Callers get a 400 for a mistyped field instead of a silently converted value, and the API
behaves as its OpenAPI document says. Integers are bounded: an unbounded one reached PostgreSQL
(bigint out of range: a 500) and Redis' Lua (doubles: exact only to 2**53).
"""

from rest_framework import serializers

# The largest integer every consumer holds exactly: JSON parsers that read numbers as doubles,
# Redis Lua scripts, and PostgreSQL bigint. tests/test_input_bounds.py checks every request field.
JSON_SAFE_INTEGER = 2**53 - 1


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """An integer, never a bool or a string, within [min_value, max_value] (default ±JSON_SAFE_INTEGER)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", -JSON_SAFE_INTEGER)
        kwargs.setdefault("max_value", JSON_SAFE_INTEGER)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data
