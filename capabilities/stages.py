"""Second stages: a language model explains or annotates what a first stage decided.

Seed 001 §7 gives two capabilities two steps: `anomaly.detect` classifies on the edge model
(rule-based heuristics when it cannot) and, only for a flagged verdict, gemini-1.5-flash explains
it; `housekeeping.route` takes its route from the solver (the greedy fallback when it cannot) and
gemini-1.5-flash may annotate it. The first stage is the capability's ordinary chain; the second
walks its `explanation_chain` in the same call phase (nothing held), within what is left of the
request's deadline, with the capability's prompt rendered on the request and the first answer.

The second stage can only add words: its schema has no verdict, score, block or order to change,
and its answer is checked against the first (the reason codes and rooms it names must be there).
When every model of it fails, the first answer stands alone; the provenance lists the second
stage's attempts apart (`stage_attempts`), so `fallback_used` still speaks of the first stage.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from capabilities.hashing import canonical_json
from capabilities.selectors import CapabilitySpec
from melmastoon_ai.schema_validation import schema_errors
from prompts.rendering import render
from prompts.selectors import PromptVersionSpec
from routing.router import ChainExhausted, OutputScreen, RoutePlan, RouteResult, route

_TEXT = {"type": "string", "minLength": 1}
EXPLANATION_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "AnomalyExplanation",
    "type": "object",
    "additionalProperties": False,
    "required": ["summary", "reasons"],
    "properties": {
        "summary": _TEXT | {"maxLength": 1000},
        "reasons": {
            "type": "array",
            "maxItems": 20,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["code", "message"],
                "properties": {"code": _TEXT | {"maxLength": 40}, "message": _TEXT | {"maxLength": 500}},
            },
        },
    },
}
ANNOTATION_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "HousekeepingRouteAnnotation",
    "type": "object",
    "additionalProperties": False,
    "required": ["notes"],
    "properties": {
        "notes": {
            "type": "array",
            "maxItems": 10,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["text", "room_numbers"],
                "properties": {
                    "text": _TEXT | {"maxLength": 300},
                    "room_numbers": {"type": "array", "maxItems": 20, "items": _TEXT | {"maxLength": 10}},
                },
            },
        }
    },
}
MAX_NOTES = 20


def _explanation_errors(first: dict, answer: dict) -> list[str]:
    known = {reason["code"] for reason in first.get("reasons", [])}
    codes = [reason["code"] for reason in answer.get("reasons", [])]
    errors = []
    if unknown := sorted(set(codes) - known):
        errors.append(f"reasons cites codes {unknown[:5]} the verdict does not have ({sorted(known)[:10]})")
    if len(codes) != len(set(codes)):
        errors.append("reasons explains a code twice")
    return errors


def _explained(first: dict, answer: dict, model: str) -> dict:
    messages = {reason["code"]: reason["message"] for reason in answer["reasons"]}
    reasons = [reason | {"message": messages.get(reason["code"], reason["message"])} for reason in first["reasons"]]
    return first | {"reasons": reasons, "explanation": answer["summary"], "explained_by": model}


def _annotation_errors(first: dict, answer: dict) -> list[str]:
    rooms = {stop["room_number"] for stop in first.get("stops", [])}
    cited = {room for note in answer.get("notes", []) for room in note["room_numbers"]}
    if unknown := sorted(cited - rooms):
        return [f"notes cite rooms {unknown[:5]} that are not on the route"]
    return []


def _annotated(first: dict, answer: dict, model: str) -> dict:
    notes = [*first.get("notes", []), *(note["text"] for note in answer["notes"])][:MAX_NOTES]
    return first | {"notes": notes, "annotated_by": model}


@dataclass(frozen=True)
class Stage:
    name: str
    first_key: str  # what the first answer is called in the prompt's input
    schema: dict
    wanted: Callable[[dict], bool]
    errors: Callable[[dict, dict], list[str]]
    merge: Callable[[dict, dict, str], dict]


STAGES = {
    "anomaly.detect": Stage(
        "explanation",
        "verdict",
        EXPLANATION_SCHEMA,
        wanted=lambda first: first.get("verdict") != "normal" and bool(first.get("reasons")),
        errors=_explanation_errors,
        merge=_explained,
    ),
    "housekeeping.route": Stage(
        "annotation",
        "route",
        ANNOTATION_SCHEMA,
        wanted=lambda first: bool(first.get("stops")),
        errors=_annotation_errors,
        merge=_annotated,
    ),
}


def second_stage(
    *,
    capability: CapabilitySpec,
    prompt: PromptVersionSpec | None,
    plan: RoutePlan,
    first: RouteResult,
    started: float,
    screen: OutputScreen,
    breakers,
) -> RouteResult:
    """`first` with the second stage's words merged in, its attempts, tokens and cost added; `first`
    unchanged when the capability has no second stage, the first answer does not call for one, or the
    budget is spent. `started`: when the first stage began (the deadline is the whole walk's)."""
    stage = STAGES.get(capability.id)
    if (
        stage is None
        or not capability.explanation_chain
        or prompt is None
        or plan.skip_models
        or not stage.wanted(first.output)
    ):
        return first
    rendered = render(
        system_template=prompt.system_template,
        user_template=prompt.user_template,
        variables=list(prompt.variables),
        values={
            name: value
            for name, value in {
                "input_json": canonical_json({"request": plan.payload, stage.first_key: first.output}),
                "locale": plan.context.locale,
                "output_schema_json": canonical_json(stage.schema),
                "context": "(none)",
            }.items()
            if name in prompt.variables
        },
    )
    second_plan = replace(
        plan,
        capability_id=f"{capability.id}/{stage.name}",
        chain=capability.explanation_chain,
        system_prompt=rendered.system,
        user_prompt=rendered.user,
        output_schema=stage.schema,
        deadline_seconds=plan.deadline_seconds - (time.perf_counter() - started),
    )

    def validate(output: object) -> list[str]:
        return [error["message"] for error in schema_errors(stage.schema, output, key=("stage", stage.name))]

    try:
        second = route(
            second_plan,
            validate=validate,
            screen=screen,
            breakers=breakers,
            check=lambda output: stage.errors(first.output, output) if isinstance(output, dict) else [],
        )
    except ChainExhausted as exhausted:
        first.stage_attempts = [*first.stage_attempts, *_marked(exhausted.attempts, stage.name)]
        return first
    first.output = stage.merge(first.output, second.output, second.model)
    first.stage_attempts = [*first.stage_attempts, *_marked(second.attempts, stage.name)]
    first.input_tokens += second.input_tokens
    first.output_tokens += second.output_tokens
    first.cost_usd += second.cost_usd
    first.provider_ms += second.provider_ms
    return first


def _marked(attempts: list, stage: str) -> list:
    for attempt in attempts:
        attempt.detail = f"{stage}: {attempt.detail}" if attempt.detail else stage
    return attempts
