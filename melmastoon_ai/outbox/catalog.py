"""Which topic an event type goes to, in which envelope version, validated by which JSON Schema.

The topics are seed 000's (section 6), one per family: `inference.*` and `suggestion.*` go to
`melmastoon.ai_orchestrator.inference.events.v1`, `eval.*`, `hitl.*` and `budget.*` to theirs. Two
families seed 000 does not list get a topic of the same shape: `edge.*` (manifest and edge model
events) and `privacy.*` (erasure and retention events). A type of any other family goes to
`<prefix><family>.events.v1` as well, so nothing emitted is ever dropped for want of a topic.

The schemas live in `schemas/<type>.v1.json` (all `suggestion.<capability>` types share
`suggestion.v1.json`); tests validate every event the code emits against them.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from jsonschema import Draft202012Validator

ENVELOPE_VERSION = 1
DEFAULT_TOPIC_PREFIX = "melmastoon.ai_orchestrator."
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"

# event family -> topic suffix (after the prefix)
TOPICS: dict[str, str] = {
    "inference": "inference.events.v1",
    "suggestion": "inference.events.v1",
    "eval": "eval.events.v1",
    "hitl": "hitl.events.v1",
    "budget": "budget.events.v1",
    "edge": "edge.events.v1",
    "privacy": "privacy.events.v1",
}
# Topics whose consumers need a tenant's events in order (a gate's opened, assigned, decided):
# Pub/Sub's ordering key is the tenant id there.
ORDERED_FAMILIES = frozenset({"hitl"})
COMMAND_TOPIC_SUFFIX = "commands.inference_request.v1"
DEAD_LETTER_SUFFIX = ".dead_letter"


def family_of(event_type: str) -> str:
    return event_type.split(".", 1)[0]


def topic_suffix(event_type: str) -> str:
    family = family_of(event_type)
    return TOPICS.get(family, f"{family}.events.v1")


def topic_for(event_type: str, prefix: str = DEFAULT_TOPIC_PREFIX) -> str:
    return prefix + topic_suffix(event_type)


def all_topic_suffixes() -> list[str]:
    return sorted(set(TOPICS.values()))


def ordering_key(event_type: str, tenant_id: str | None) -> str:
    """Per tenant on the ordered topics ("platform" for platform events); none elsewhere."""
    if family_of(event_type) not in ORDERED_FAMILIES:
        return ""
    return tenant_id or "platform"


def schema_name(event_type: str) -> str:
    return "suggestion" if family_of(event_type) == "suggestion" else event_type


@functools.cache
def validator_for(event_type: str) -> Draft202012Validator | None:
    """The validator of the type's committed schema; None for a type that has none."""
    path = SCHEMA_DIR / f"{schema_name(event_type)}.v{ENVELOPE_VERSION}.json"
    if not path.exists():
        return None
    schema = json.loads(path.read_text())
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(body: dict) -> list[str]:
    """What is wrong with an envelope body against its type's schema (empty when valid)."""
    validator = validator_for(str(body.get("type", "")))
    if validator is None:
        return [f"no schema for event type {body.get('type')!r}"]
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in validator.iter_errors(body)
    ]


def documented_types() -> list[str]:
    return sorted(path.name.removesuffix(f".v{ENVELOPE_VERSION}.json") for path in SCHEMA_DIR.glob("*.json"))
