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
    """A string, never a number; ``max_length`` holds for the value as sent.

    DRF trims whitespace before its length validators run, and Python counts
    control characters such as U+001F as whitespace, so a value one character
    over the contract's ``maxLength`` with a leading U+001F would be accepted.
    """

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
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
