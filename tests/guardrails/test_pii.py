"""PII redaction: what is redacted, what is left alone, placeholders, payloads and restore."""

from __future__ import annotations

import pytest

from guardrails.pii import find_spans, redact, redact_payload, restore


def _found(text: str, country: str | None = None) -> list[tuple[str, str]]:
    return [(span.type, text[span.start : span.end]) for span in find_spans(text, country=country)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call +93 70 123 4567 today", ("PHONE", "+93 70 123 4567")),
        ("WhatsApp +971 50 123 4567", ("PHONE", "+971 50 123 4567")),
        ("mail ahmad.karimi@gmail.com.", ("EMAIL", "ahmad.karimi@gmail.com")),
        ("card 4111 1111 1111 1111 exp 08/27", ("CARD", "4111 1111 1111 1111")),
        ("amex 3782 822463 10005", ("CARD", "3782 822463 10005")),
        ("IBAN GB82 WEST 1234 5698 7654 32.", ("IBAN", "GB82 WEST 1234 5698 7654 32")),
        ("iban gb82west12345698765432", ("IBAN", "gb82west12345698765432")),
        ("Emirates ID 784-1985-1234567-1", ("GOV_ID", "784-1985-1234567-1")),
        ("passport no. P01234567", ("PASSPORT", "P01234567")),
        ("رقم جواز السفر: A12345678", ("PASSPORT", "A12345678")),
        ("پاسپورتم X1234567 است", ("PASSPORT", "X1234567")),
        ("passeport 12AB34567", ("PASSPORT", "12AB34567")),
    ],
)
def test_detects_each_type_in_latin_and_arabic_script(text, expected):
    assert _found(text) == [expected]


def test_arabic_indic_and_persian_digits_are_found_with_offsets_into_the_original():
    text = "هاتفي +٩٧١ ٥٠ ١٢٣ ٤٥٦٧ وشماره ۰۷۹۹ ۱۲۳ ۴۵۶"
    spans = find_spans(text, country="AF")
    assert [text[span.start : span.end] for span in spans] == ["+٩٧١ ٥٠ ١٢٣ ٤٥٦٧", "۰۷۹۹ ۱۲۳ ۴۵۶"]
    assert [span.key for span in spans] == ["+971501234567", "+93799123456"]


def test_an_unnamed_local_phone_number_needs_the_tenant_country():
    assert _found("guest Ahmad, 0799 123 456, arrives at noon") == []
    assert _found("guest Ahmad, 0799 123 456, arrives at noon", country="AF") == [("PHONE", "0799 123 456")]


def test_a_number_named_as_a_phone_is_read_as_a_guests_home_country_number():
    # a Dari check-in note in a hotel in the UAE: the Afghan local number is not a UAE number
    assert _found("شماره تماس ۰۷۹۹ ۱۲۳ ۴۵۶", country="AE") == [("PHONE", "۰۷۹۹ ۱۲۳ ۴۵۶")]
    assert _found("booking ۰۷۹۹ ۱۲۳ ۴۵۶", country="AE") == []


@pytest.mark.parametrize(
    "text",
    [
        "booking BK-2025-118734 from 12/05/2025 to 15.05.2025, room 1204 at 14:30",
        "total AED 1,250.00 for 3 nights, PO 4500012345, order #58213947",
        "dial 112 or *140# or ext 204; confirmation number 4829301756",
        "card 4111 1111 1111 1112 was declined",  # fails Luhn: not a card
        "IBAN AE08 0331 2345 6789 0123 456 bounced",  # wrong check digits: not an IBAN
        "loyalty 1000000000000009 is not a card",  # passes Luhn but no card brand starts with 1
        "booking 0701 334 221 is confirmed",  # a valid Afghan mobile shape, but named a booking
        "passport photo and passport copy for room 305",
    ],
)
def test_hard_negatives_are_left_alone(text):
    assert _found(text, country="AF") == []


def test_iban_is_claimed_before_the_card_digits_inside_it():
    # the digits after the bank code of this IBAN pass Luhn and a Visa prefix on their own
    text = "IBAN DE89 3704 0044 0532 0130 00"
    assert _found(text) == [("IBAN", "DE89 3704 0044 0532 0130 00")]


def test_national_ids_with_checksums_need_their_country_or_a_context_word():
    tckn = "10000000146"
    assert _found(f"misafir {tckn}") == []
    assert _found(f"misafir {tckn}", country="TR") == [("GOV_ID", tckn)]
    assert _found(f"TC kimlik no {tckn}") == [("GOV_ID", tckn)]


def test_same_value_gets_the_same_placeholder_and_counts_every_occurrence():
    result = redact("Call +93 70 123 4567 or +93701234567; mail a.b@x.com or c@y.org", country="AF")
    assert result.text == "Call <PHONE_1> or <PHONE_1>; mail <EMAIL_1> or <EMAIL_2>"
    assert result.counts == {"PHONE": 2, "EMAIL": 2}
    assert result.mapping == {"<PHONE_1>": "+93 70 123 4567", "<EMAIL_1>": "a.b@x.com", "<EMAIL_2>": "c@y.org"}
    assert result.total == 4


def test_restore_puts_the_values_back_and_leaves_unknown_placeholders():
    result = redact("guest email ahmad@example.com")
    model_output = "Dear guest, we wrote to <EMAIL_1>; <PHONE_9> is not ours."
    assert restore(model_output, result.mapping) == "Dear guest, we wrote to ahmad@example.com; <PHONE_9> is not ours."


def test_redact_payload_walks_every_string_shares_numbering_and_keeps_keys():
    payload = {
        "guest": {"email": "ahmad@example.com", "phones": ["+93 70 123 4567", "no phone"]},
        "note": "same email ahmad@example.com, card 4111111111111111",
        "nights": 3,
        "ahmad@example.com": True,
    }
    redacted, aggregate = redact_payload(payload, country="AF")
    assert redacted == {
        "guest": {"email": "<EMAIL_1>", "phones": ["<PHONE_1>", "no phone"]},
        "note": "same email <EMAIL_1>, card <CARD_1>",
        "nights": 3,
        "ahmad@example.com": True,
    }
    assert aggregate.counts == {"EMAIL": 2, "PHONE": 1, "CARD": 1}
    assert set(aggregate.mapping) == {"<EMAIL_1>", "<PHONE_1>", "<CARD_1>"}
    assert payload["guest"]["email"] == "ahmad@example.com"  # the input is not modified


def test_text_without_digits_or_at_signs_is_returned_unchanged():
    result = redact("Could you kill the lights in the lobby?")
    assert result.text == "Could you kill the lights in the lobby?"
    assert result.counts == {}


def test_base64_bytes_are_neither_redacted_nor_moderated():
    """Images and audio travel as base64 text; moderators must not be sent them (a provider
    moderator would be paid to read, and may flag, an image's bytes) and redaction must leave them
    byte for byte as they came."""
    from guardrails import screen_input

    class RecordingModeratorFake:
        name = "recording-fake"

        def __init__(self):
            self.texts = []

        def moderate(self, text, *, locale):
            self.texts.append(text)

    moderator = RecordingModeratorFake()
    image = "iVBORw0KGgoAAAANSUhEUgAAAEAAAAAwCAIAAAAuKetI" * 50
    payload = {"image_base64": image, "notes": {"audio_base64": image}, "caption": "call +44 20 7946 0958"}
    screened = screen_input(payload, locale="en", country="GB", extra_moderators=[moderator])
    assert screened.payload["image_base64"] == image and screened.payload["notes"]["audio_base64"] == image
    assert "+44 20 7946 0958" not in screened.payload["caption"]
    assert moderator.texts == ["call <PHONE_1>"]  # a provider moderator sees the redacted text only


def test_a_card_is_never_cut_out_of_an_international_phone_number():
    """Found by the blind issue-24 holdout: the digits after the plus of this German mobile number
    pass Luhn as a 13-digit Visa number."""
    assert _found("mobil +49 1512 3578408") == [("PHONE", "+49 1512 3578408")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Zimmer 12 reserviert, erreichbar unter 01512 3578408", ("PHONE", "01512 3578408")),
        ("Erreichbar unter 0221/8856627 (Büro)", ("PHONE", "0221/8856627")),
        ("Turkish guest, his mobile 0532 123 45 67", ("PHONE", "0532 123 45 67")),
        ("Turkish guest: 0532 123 45 67", ("PHONE", "0532 123 45 67")),
        ("write to anna dot weber at gmail dot com", ("EMAIL", "anna dot weber at gmail dot com")),
        ("contact: müller.anna@exämple.de", ("EMAIL", "müller.anna@exämple.de")),
        ("شبا IR062960000000100324200001", ("IBAN", "IR062960000000100324200001")),
        ("کارت ۶۰۳۷ ۹۹۷۵ ۹۹۱۹ ۹۸۶۷", ("CARD", "۶۰۳۷ ۹۹۷۵ ۹۹۱۹ ۹۸۶۷")),  # a Shetab card (Bank Melli)
        ("Reisepass JMYMM02T0", ("PASSPORT", "JMYMM02T0")),
        ("NI AB 12 34 56 C", ("GOV_ID", "AB 12 34 56 C")),  # stands alone: the shape and prefix rules
        ("NI number QQ 12 34 56 C", ("GOV_ID", "QQ 12 34 56 C")),  # an invalid prefix, named: the letter too
    ],
)
def test_issue_24_classes_are_found(text, expected):
    assert _found(text, country="AE") == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "IMEI 490154203237518 of the lost phone",
        "card 4532 0151 1283 0367 declined",  # fails Luhn; 0151 1283 0367 would be a Liverpool number
        "order 01511283036 shipped 2025/12/24",
        "I booked at booking.com and paid 1.250,00 €",
        "تاریخ ۱۴۰۳/۰۵/۱۲ مبلغ ۱۲٬۵۰۰٬۰۰۰ ریال",
    ],
)
def test_issue_24_hard_negatives_are_left_alone(text):
    assert _found(text, country="GB") == []
