"""The canned answers of the fake provider servers: schema-valid outputs, deterministic numbers.

A fake tells the capability from the `X-Melmastoon-Capability` header the adapters send, else
from the output schema's title in the request. It finds the capability's input among the JSON
objects in the prompt and answers what the deterministic fallback would; without a usable
input it answers for the capability's first example input.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math

from jsonschema import Draft202012Validator, FormatChecker

from capabilities.fallbacks import FallbackContext, run_fallback
from capabilities.schemas import CAPABILITY_IDS, load_definition
from routing.providers.common import CAPABILITY_HEADER

SCHEMA_INVALID_OUTPUT = {"fake_note": "this output ignores the capability's schema on purpose"}
REFUSAL_TEXT = "I can't help with that request."


@functools.cache
def _capability_by_title() -> dict[str, str]:
    return {load_definition(cid)["output_schema"]["title"]: cid for cid in CAPABILITY_IDS}


@functools.cache
def _input_validator(capability_id: str) -> Draft202012Validator:
    return Draft202012Validator(load_definition(capability_id)["input_schema"], format_checker=FormatChecker())


def _titled(schema: object) -> str | None:
    """The capability whose output schema carries this schema's title."""
    return _capability_by_title().get(schema.get("title")) if isinstance(schema, dict) else None


def capability_for(headers: dict[str, str], schema: object, texts: list[str]) -> str | None:
    """The capability a request is for: the header, else the requested schema, else a schema in the prompt."""
    named = headers.get(CAPABILITY_HEADER.lower())
    if named in CAPABILITY_IDS:
        return named
    if (found := _titled(schema)) is not None:
        return found
    for text in texts:
        for candidate in _json_objects(text):
            if (found := _titled(candidate)) is not None:
                return found
    return None


def _json_objects(text: str) -> list[dict]:
    decoder = json.JSONDecoder()
    found: list[dict] = []
    position = text.find("{")
    while position != -1:
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            position = text.find("{", position + 1)
            continue
        if isinstance(value, dict):
            found.append(value)
        position = text.find("{", end)
    return found


def find_input(capability_id: str, texts: list[str]) -> dict | None:
    """The first JSON object in the prompt texts that is a valid input of the capability."""
    validator = _input_validator(capability_id)
    for text in texts:
        for candidate in _json_objects(text):
            if validator.is_valid(candidate):
                return candidate
    return None


def answer_for(capability_id: str, texts: list[str]) -> object:
    """A schema-valid output of the capability, derived from the input found in the prompt."""
    payload = find_input(capability_id, texts) or load_definition(capability_id)["examples"][0]
    return run_fallback(capability_id, payload, FallbackContext())


def count_tokens(text: str) -> int:
    """Deterministic token usage: about four characters a token."""
    return max(1, len(text) // 4)


def fake_embedding(text: str, dimensions: int) -> list[float]:
    """A unit vector derived from the text's hash: the same text gives the same vector."""
    values: list[float] = []
    counter = 0
    while len(values) < dimensions:
        digest = hashlib.blake2b(f"{counter}:{text}".encode(), digest_size=64).digest()
        values.extend((byte - 127.5) / 127.5 for byte in digest)
        counter += 1
    vector = values[:dimensions]
    norm = math.sqrt(sum(value * value for value in vector)) or 1.0
    return [round(value / norm, 6) for value in vector]
