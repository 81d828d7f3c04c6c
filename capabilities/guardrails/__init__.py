"""Pre- and post-call guardrails (step 3 and the moderation part of step 8).

This is the seam the pipeline calls. What it checks today: nothing beyond the input schema, and
it says so (`checked_by` in the provenance safety block is empty). PII redaction and content
moderation, with their measured evaluation sets, are the guardrails issue's work.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ScreenedInput:
    payload: dict  # what may be sent to a model and stored: redacted
    verdict: str = "allow"
    pii_redactions: int = 0
    checked_by: tuple[str, ...] = field(default_factory=tuple)


def screen_input(payload: dict, *, locale: str) -> ScreenedInput:
    return ScreenedInput(payload=payload)


def screen_output(output: dict, *, locale: str) -> str:
    return "allow"
