"""What the fake provider servers answer (routing/fakes/): schema-valid outputs of a capability.

A fake tells the capability from the `X-Melmastoon-Capability` header the adapters send, else
from the output schema's title in the request. It finds the capability's input among the JSON
objects in the prompt and answers what the deterministic fallback would; without a usable
input it answers for the capability's first example input. The fakes are given this module by
`settings.FAKE_PROVIDER_ANSWERS` (routing does not import capabilities).
"""

from __future__ import annotations

import functools
import json

from jsonschema import Draft202012Validator, FormatChecker

from capabilities.fallbacks import FallbackContext, run_fallback
from capabilities.schemas import CAPABILITY_IDS, load_definition
from routing.fakes.answers import POOR_QUALITY_MARKER
from routing.providers.common import CAPABILITY_HEADER


@functools.cache
def _capability_by_title() -> dict[str, str]:
    titles = {load_definition(cid)["output_schema"]["title"]: cid for cid in CAPABILITY_IDS}
    return titles | {
        "AnomalyExplanation": "anomaly.detect/explanation",
        "HousekeepingRouteAnnotation": "housekeeping.route/annotation",
    }


@functools.cache
def _input_validator(capability_id: str) -> Draft202012Validator:
    return Draft202012Validator(load_definition(capability_id)["input_schema"], format_checker=FormatChecker())


def _titled(schema: object) -> str | None:
    """The capability whose output schema carries this schema's title."""
    return _capability_by_title().get(schema.get("title")) if isinstance(schema, dict) else None


def capability_for(headers: dict[str, str], schema: object, texts: list[str]) -> str | None:
    """The capability a request is for: the header, else the requested schema, else a schema in the prompt."""
    named = headers.get(CAPABILITY_HEADER.lower())
    if named in CAPABILITY_IDS or named in STAGE_IDS:
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


STAGE_IDS = {"anomaly.detect/explanation": "verdict", "housekeeping.route/annotation": "route"}
INVENTED = "INVENTED-1"  # what a degraded second stage cites: a code or room the first answer does not have


def _stage_answer(stage_id: str, texts: list[str], *, degraded: bool) -> dict:
    """A second stage's answer (capabilities/stages.py) on the first answer found in the prompt:
    an explanation of each reason, a note on each urgent stop. Degraded: it cites what is not there."""
    key = STAGE_IDS[stage_id]
    first: dict = next(
        (found[key] for text in texts for found in _json_objects(text) if isinstance(found.get(key), dict)), {}
    )
    if stage_id == "anomaly.detect/explanation":
        reasons = [
            {"code": reason["code"], "message": f"Explained: {reason['message']}"[:500]}
            for reason in first.get("reasons", [])
        ]
        if degraded:
            reasons.append({"code": INVENTED, "message": "A finding the classifier did not make."})
        return {
            "summary": f"The classifier found {len(reasons)} issue(s); verdict {first.get('verdict')}.",
            "reasons": reasons,
        }
    urgent = [stop["room_number"] for stop in first.get("stops", []) if stop.get("priority") in ("vip", "high")]
    notes = [{"text": f"Prepare room {room} first: priority guest.", "room_numbers": [room]} for room in urgent[:5]]
    if degraded:
        notes.append({"text": "Also clean the spa.", "room_numbers": [INVENTED]})
    return {"notes": notes}


def answer_for(capability_id: str, texts: list[str], *, degraded: bool = False) -> object:
    """A schema-valid output of the capability, derived from the input found in the prompt;
    `degrade()`d when asked to or when the prompt carries POOR_QUALITY_MARKER."""
    if capability_id in STAGE_IDS:
        return _stage_answer(
            capability_id, texts, degraded=degraded or any(POOR_QUALITY_MARKER in text for text in texts)
        )
    payload = find_input(capability_id, texts) or load_definition(capability_id)["examples"][0]
    output = run_fallback(capability_id, payload, FallbackContext())
    if degraded or any(POOR_QUALITY_MARKER in text for text in texts):
        return degrade(capability_id, output)
    return output


_POOR_TEXT = "Thank you."


def degrade(capability_id: str, output: dict) -> dict:
    """A worse, still schema-valid answer: prices 40 % off, verdicts and pass/fail flipped, texts
    reduced to a generic English line, offers dropped. Other capabilities come back unchanged."""
    output = json.loads(json.dumps(output))
    if capability_id == "pricing.suggest":
        price = output["suggested_price"]
        price["amount"] = round(price["amount"] * 1.4, 2)
        output["deviation_pct"] = round(output["deviation_pct"] * 1.4 + 40, 2)
    elif capability_id == "anomaly.detect":
        anomalous = output["verdict"] != "normal"
        output.update(
            verdict="normal" if anomalous else "anomalous", recommend_block=False, score=0.1 if anomalous else 0.9
        )
    elif capability_id == "vision.photo_quality":
        output["pass"] = not output["pass"]
    elif capability_id == "message.draft":
        output.update(body=_POOR_TEXT, subject=_POOR_TEXT, locale="en", direction="ltr")
    elif capability_id == "tutor.answer":
        output.update(answer=_POOR_TEXT, locale="en", sources=[])
    elif capability_id == "upsell.recommend":
        output["offers"] = []
    elif capability_id == "pricing.demand_forecast":
        for day in output["days"]:
            day["expected_rooms_sold"] = round(day["expected_rooms_sold"] * 0.5, 2)
            day["expected_occupancy_pct"] = round(day["expected_occupancy_pct"] * 0.5, 2)
    return output
