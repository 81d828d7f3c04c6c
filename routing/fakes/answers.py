"""The canned answers of the fake provider servers: schema-valid outputs, deterministic numbers.

Which capability a request is for and what it answers come from the module named by
`settings.FAKE_PROVIDER_ANSWERS` (`capabilities.fake_answers`: the deterministic fallbacks'
outputs): routing is given it, it does not import capabilities.
"""

from __future__ import annotations

import hashlib
import importlib
import math

from django.conf import settings

SCHEMA_INVALID_OUTPUT = {"fake_note": "this output ignores the capability's schema on purpose"}
# A prompt containing this marker is one the fake model "handles badly": it answers with
# `degrade()`d outputs (schema-valid, but wrong), as the scripted `degraded` behaviour does.
# Evals use it to make a worse candidate prompt version; drift tests script the behaviour.
POOR_QUALITY_MARKER = "[fake-model:answer-poorly]"
REFUSAL_TEXT = "I can't help with that request."


def _answers():
    return importlib.import_module(settings.FAKE_PROVIDER_ANSWERS)


def capability_for(headers: dict[str, str], schema: object, texts: list[str]) -> str | None:
    """The capability a request is for (the header, else the requested schema, else one in the prompt)."""
    return _answers().capability_for(headers, schema, texts)


def answer_for(capability_id: str, texts: list[str], *, degraded: bool = False) -> object:
    """A schema-valid output of the capability for the input found in the prompt."""
    return _answers().answer_for(capability_id, texts, degraded=degraded)


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
