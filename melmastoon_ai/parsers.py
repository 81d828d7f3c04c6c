"""JSON parsing with a bounded nesting depth, for every JSON endpoint (DRF's parser) and every
place that reads JSON a caller wrote (the reviewer editor).

Python's json module and anything that walks the result recursively (validation, redaction,
the NUL check) raise RecursionError somewhere past a few hundred levels: a 500 for a body of a
few kilobytes. The depth is measured first, iteratively, over the text itself: strings are
blanked (brackets inside them do not count), then the brackets are counted, stopping at the
first level past the limit. Nothing recurses before that check has passed.
"""

from __future__ import annotations

import json
import math
import re

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_OPENERS = frozenset("[{")


class JsonTooDeep(ValueError):
    def __init__(self, max_depth: int):
        super().__init__(f"JSON nested deeper than {max_depth} levels is not accepted")
        self.max_depth = max_depth


def check_json_depth(text: str, *, max_depth: int) -> None:
    """Raise JsonTooDeep when arrays and objects in `text` nest deeper than `max_depth`."""
    if text.count("[") + text.count("{") <= max_depth:
        return  # too few brackets to nest that deep: the common case costs two counts
    depth = 0
    for bracket in _NOT_BRACKET.sub("", _STRING.sub('""', text)):
        if bracket in _OPENERS:
            depth += 1
            if depth > max_depth:
                raise JsonTooDeep(max_depth)
        else:
            depth -= 1


def finite_float(text: str) -> float:
    """A JSON number as a float, refusing one too large for a double (1e400 reads as infinity,
    which PostgreSQL's jsonb and every JSON consumer after us refuse)."""
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text[:40]} is out of range")
    return number


def json_loads_bounded(text: str, *, max_depth: int | None = None) -> object:
    """json.loads that refuses deep nesting, NaN and Infinity, and numbers that overflow a double."""
    check_json_depth(text, max_depth=settings.MAX_JSON_DEPTH if max_depth is None else max_depth)
    return json.loads(text, parse_constant=strict_constant, parse_float=finite_float)


class BoundedJSONParser(JSONParser):
    """DRF's JSONParser with the depth check: a body nested too deep is 400 invalid_request."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            return json_loads_bounded(text)
        except JsonTooDeep as exc:
            raise ParseError(f"{exc}.") from exc
        except (ValueError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
