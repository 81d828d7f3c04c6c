"""message.draft fallback: a fixed template per intent and language, filled with the stay facts.

A locale without templates is drafted in English and the output says so (`locale` is the one
written, `requested_locale` the one asked for, and a note). A HITL gate always opens for this
capability, so a person reads every draft before a guest does.
"""

from __future__ import annotations

from capabilities.fallbacks import FallbackContext
from capabilities.fallbacks.common import format_money, resolve_locale, text_direction
from capabilities.fallbacks.message_templates import (
    CLOSINGS,
    GREETINGS,
    GUEST_FALLBACK_NAME,
    HOTEL_FALLBACK_NAME,
    TEAM_SIGNATURE,
    TEMPLATES,
)


def _known_fields(payload: dict, family: str) -> dict[str, str]:
    """Every value a template may insert, as display text; absent facts are left out."""
    stay = payload.get("stay", {})
    fields = {
        key: str(stay[key]) for key in ("check_in", "check_out", "room_type", "booking_ref", "guests") if key in stay
    }
    for key in ("check_in_time", "check_out_time", "due_date", "apology_reason", "contact_phone"):
        if key in payload:
            fields[key] = payload[key]
    if "amount_due" in payload:
        fields["amount_due"] = format_money(payload["amount_due"]["amount"], payload["amount_due"]["currency"])
    fields["hotel_name"] = payload.get("hotel_name", "").strip() or HOTEL_FALLBACK_NAME[family]
    fields["guest_name"] = payload["guest_name"].strip() or GUEST_FALLBACK_NAME[family]
    return fields


def _body(payload: dict, family: str, fields: dict[str, str]) -> str:
    tone = payload.get("tone", "formal")
    template = TEMPLATES[payload["intent"]][family]
    lines = [
        line.text.format(**fields)
        for line in template.lines
        if all(need in fields for need in line.needs) and not any(field in fields for field in line.unless)
    ]
    signature = payload.get("hotel_name", "").strip() or TEAM_SIGNATURE[family]
    greeting = GREETINGS[family][tone].format(**fields)
    return "\n\n".join([greeting, "\n".join(lines), f"{CLOSINGS[family][tone]}\n{signature}"])


def run(payload: dict, ctx: FallbackContext) -> dict:
    requested = payload["locale"]
    locale, family = resolve_locale(requested)
    fields = _known_fields(payload, family)
    notes = ["Drafted from a fixed template while the writing models were unavailable; review before sending."]
    if locale != requested:
        notes.append(f"No template for locale '{requested}': drafted in English, translate before sending.")
    return {
        "subject": TEMPLATES[payload["intent"]][family].subject.format(**fields),
        "body": _body(payload, family, fields),
        "locale": locale,
        "direction": text_direction(locale),
        "intent": payload["intent"],
        "requested_locale": requested,
        "notes": notes,
    }
