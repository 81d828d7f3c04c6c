"""The JSON Schemas and example inputs of the 15 catalog capabilities (seed 001, section 7).

Each `<capability id>.json` next to this module holds `input_schema`, `output_schema` (draft
2020-12, the output type name in its `title`) and `examples` (valid inputs). Versions belong to
the capability row, not to these files.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path

# In the order of the seed's catalog table.
CAPABILITY_IDS: tuple[str, ...] = (
    "pricing.suggest",
    "pricing.demand_forecast",
    "housekeeping.route",
    "staff.shift_optimize",
    "anomaly.detect",
    "upsell.recommend",
    "message.draft",
    "review.summarize",
    "booking.conversion_hint",
    "tutor.answer",
    "description.generate",
    "translation.draft",
    "ocr.id_scan",
    "stt.transcribe",
    "vision.photo_quality",
)

_SCHEMA_DIR = Path(__file__).resolve().parent


@functools.cache
def _read_definition(capability_id: str) -> dict:
    path = _SCHEMA_DIR / f"{capability_id}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def load_definition(capability_id: str) -> dict:
    """`{"input_schema", "output_schema", "examples"}` of a capability; a copy the caller may change."""
    if capability_id not in CAPABILITY_IDS:
        raise KeyError(f"unknown capability: {capability_id}")
    return copy.deepcopy(_read_definition(capability_id))
