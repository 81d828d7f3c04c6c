"""The seam the pipeline calls: screen_input, screen_output, moderate_output, restore_output."""

from __future__ import annotations

from capabilities.schemas import CAPABILITY_IDS, load_definition
from guardrails import (
    CHECKED_BY_INPUT,
    moderate_output,
    restore_output,
    screen_input,
    screen_output,
    warm_up,
)

GUEST_INPUT = {
    "guest_message": "Hi, I'm Ahmad, call me on 0799 123 456 or write to ahmad@example.com. Booking BK-2025-77.",
    "channel": "whatsapp",
    "history": [{"from": "guest", "text": "my card 4111 1111 1111 1111 failed"}],
}


def test_screen_input_redacts_every_string_and_says_what_ran():
    screened = screen_input(GUEST_INPUT, locale="en", country="AF")
    assert screened.payload == {
        "guest_message": "Hi, I'm Ahmad, call me on <PHONE_1> or write to <EMAIL_1>. Booking BK-2025-77.",
        "channel": "whatsapp",
        "history": [{"from": "guest", "text": "my card <CARD_1> failed"}],
    }
    assert screened.verdict == "allow"
    assert screened.pii_redactions == 3
    assert screened.checked_by == CHECKED_BY_INPUT
    assert screened.mapping == {
        "<PHONE_1>": "0799 123 456",
        "<EMAIL_1>": "ahmad@example.com",
        "<CARD_1>": "4111 1111 1111 1111",
    }
    assert "ahmad@example.com" not in repr(screened)  # the mapping never reaches a log through repr


def test_screen_input_blocks_on_harm_high_only():
    threat = screen_input({"message": "Refund me or I will kill you"}, locale="en")
    assert threat.verdict == "block"
    assert threat.blocked_categories == ["harm_high"]
    hateful = screen_input({"message": "All Afghans are animals"}, locale="en")
    assert hateful.categories["hate"].flagged
    assert hateful.verdict == "allow"  # seed 001: input is blocked on harm_high; the rest is for output


def test_screen_input_applies_tenant_thresholds():
    payload = {"message": "I can't go on, I want to die"}
    assert screen_input(payload, locale="en").verdict == "block"
    assert screen_input(payload, locale="en", thresholds={"harm_high": 0.99}).verdict == "allow"


def test_screen_output_blocks_any_flagged_category():
    assert screen_output({"draft": "Dear guest, your room is ready."}, locale="en") == "allow"
    assert screen_output({"draft": "Here is where to buy cocaine"}, locale="en") == "block"
    assert screen_output({"draft": "Call our manager on +93 70 123 4567"}, locale="en") == "block"


def test_screen_output_allows_pii_the_input_provided():
    screened = screen_input(GUEST_INPUT, locale="en", country="AF")
    output = {"draft": "We will call you on 0799 123 456."}
    assert screen_output(output, locale="en", country="AF") == "block"
    assert screen_output(output, locale="en", country="AF", allowed_values=screened.mapping.values()) == "allow"


def test_placeholders_in_outputs_are_not_pii():
    assert screen_output({"draft": "We will call you on <PHONE_1>."}, locale="en") == "allow"


def test_moderate_output_reports_every_category_and_moderator():
    verdict = moderate_output({"text": "Send nudes"}, locale="en")
    assert verdict.verdict == "block"
    assert verdict.flagged() == ["sexual"]
    assert verdict.moderators == ["lexicon", "classifier", "pii"]


def test_restore_output_puts_originals_back_into_every_string():
    screened = screen_input(GUEST_INPUT, locale="en", country="AF")
    output = {"draft": "Dear Ahmad, we emailed <EMAIL_1>.", "tags": ["<PHONE_1>", "vip"], "score": 3}
    assert restore_output(output, screened.mapping) == {
        "draft": "Dear Ahmad, we emailed ahmad@example.com.",
        "tags": ["0799 123 456", "vip"],
        "score": 3,
    }
    assert restore_output(output, {}) is output


def test_warm_up_leaves_the_guardrails_ready():
    warm_up()
    assert screen_input({"text": "mail a@b.com"}, locale="en").pii_redactions == 1


def test_the_classifier_reads_a_payloads_prose_and_the_lexicons_read_every_value():
    # Enum values, ids and codes joined are word soup: the classifier alone gave this anomaly
    # event list harm_high 0.63 ("void", "u-17", "refund" side by side).
    events = [
        {"event_id": f"ev-{i}", "type": kind, "at": "2025-03-02T01:12:00+04:30", "user_id": "u-17"}
        for i, kind in enumerate(["void", "void", "void", "refund"], start=1)
    ]
    soup = screen_input({"currency": "USD", "events": events}, locale="en")
    assert soup.verdict == "allow" and not any(score.flagged for score in soup.categories.values())
    assert soup.checked_by == CHECKED_BY_INPUT
    short_threat = screen_input({"subject": "kill you", "room": "12"}, locale="en")
    assert short_threat.verdict == "block" and short_threat.categories["harm_high"].flagged
    prose = screen_input({"type": "void", "note": "I will burn this hotel down tonight"}, locale="en")
    assert prose.verdict == "block"


def test_no_catalog_example_is_flagged_by_the_local_moderators():
    """The capabilities' own example inputs (what feature services are shown) must pass."""
    flagged = {}
    for capability_id in CAPABILITY_IDS:
        for example in load_definition(capability_id)["examples"]:
            screened = screen_input(example, locale="en")
            names = [name for name, score in screened.categories.items() if score.flagged]
            if names:
                flagged.setdefault(capability_id, []).append(names)
    assert flagged == {}
