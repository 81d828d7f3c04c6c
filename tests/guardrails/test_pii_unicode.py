"""PII written with ordinary Unicode (issue 15, item 2): full-width digits and at signs, invisible
characters between digits (ZWSP, ZWJ, ZWNJ, word joiner, soft hyphen, LRM and the other bidi
controls), non-breaking and thin spaces or dots as separators. Each is found on a normalised copy
of the text and redacted in the original, invisible characters included, so nothing of the value
is left; and through /complete and /embed nothing of it reaches a provider."""

from __future__ import annotations

import json
import re

import pytest

from guardrails.normalize import for_detection
from guardrails.pii import find_spans, redact
from melmastoon_ai.tenancy.models import Tenant

ZWSP, ZWNJ, ZWJ, WJ, SHY, LRM, RLM = "\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\u200e", "\u200f"
NBSP, THIN, NNBSP = "\u00a0", "\u2009", "\u202f"


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in text)


BYPASSES = [
    ("full-width digits", f"call {_fullwidth('+93 70 123 4567')} today", "PHONE"),
    ("full-width at sign", "write to ahmad.karimi＠example.com please", "EMAIL"),
    ("full-width email", f"mail {_fullwidth('ahmad@example.com')}", "EMAIL"),
    ("zero-width space in a phone", f"call +93{ZWSP}70{ZWSP}123{ZWSP}4567", "PHONE"),
    ("zero-width joiners in a card", f"card 4111{ZWJ}1111{ZWNJ}1111{WJ}1111", "CARD"),
    ("soft hyphens in a card", f"card 4111{SHY}1111{SHY}1111{SHY}1111", "CARD"),
    ("zero-width space inside a digit group", f"card 41{ZWSP}11 1111 11{ZWSP}11 1111", "CARD"),
    ("direction marks around a phone", f"هاتفي {LRM}+971 50 123 4567{RLM}", "PHONE"),
    ("direction marks between digits", f"call +93{LRM}701{LRM}234567", "PHONE"),
    ("non-breaking spaces", f"call +93{NBSP}70{NBSP}123{NBSP}4567", "PHONE"),
    ("thin spaces in a card", f"card 4111{THIN}1111{THIN}1111{THIN}1111", "CARD"),
    ("narrow no-break spaces in an IBAN", f"IBAN DE89{NNBSP}3704{NNBSP}0044{NNBSP}0532{NNBSP}0130{NNBSP}00", "IBAN"),
    ("dots in a card", "card 4111.1111.1111.1111", "CARD"),
    ("dots in a phone", "call +93.70.123.4567", "PHONE"),
    ("a zero-width space in the email", f"ahmad{ZWSP}@example.com", "EMAIL"),
    ("a zero-width space in the email domain", f"ahmad@exam{ZWSP}ple.com", "EMAIL"),
]


@pytest.mark.parametrize(("case", "text", "kind"), BYPASSES, ids=[case for case, _, _ in BYPASSES])
def test_unicode_bypasses_are_redacted_with_nothing_left_behind(case, text, kind):
    result = redact(text, country="AF")
    assert result.counts == {kind: 1}, (case, result.text)
    left = re.sub(r"<[A-Z_]+_\d+>", "", result.text)
    assert not any(char.isdigit() for char in left), (case, result.text)
    assert "@" not in left and "＠" not in left, (case, result.text)
    # invisible characters inside the value went with it; marks around it (the RTL case) may stay
    assert not re.search("[\u200b-\u200f\u2060\u00ad]", left.strip("\u200e\u200f")), (case, result.text)


def test_spans_point_into_the_original_text_and_keys_are_canonical():
    text = f"tel ＋９３{ZWSP}７０ １２３ ４５６７ and +93 70 123 4567"
    spans = find_spans(text, country="AF")
    assert [text[span.start : span.end] for span in spans] == [f"＋９３{ZWSP}７０ １２３ ４５６７", "+93 70 123 4567"]
    assert {span.key for span in spans} == {"+93701234567"}  # the same number, one placeholder
    assert redact(text, country="AF").text == "tel <PHONE_1> and <PHONE_1>"


def test_normalisation_maps_every_character_back():
    text = f"a{SHY}b ５{ZWSP}٦ ۷ ①"
    normalized = for_detection(text)
    assert normalized.text == "ab 56 7 1"
    assert normalized.original_span(3, 5) == (4, 7)  # "56" covers "５", the ZWSP and "٦"
    assert text[slice(*normalized.original_span(8, 9))] == "①"


def test_ascii_text_is_its_own_normalisation():
    normalized = for_detection("call +93 70 123 4567")
    assert normalized.text == "call +93 70 123 4567" and normalized.original_span(5, 20) == (5, 20)


@pytest.fixture
def ready(providers_from_settings, catalog, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(rate_limit_per_minute=100_000, country="AF")
    return providers_from_settings


CARD_DIGITS = "4111111111111111"
HIDDEN = [
    f"card 4111{ZWSP}1111{ZWSP}1111{ZWSP}1111",
    f"card {_fullwidth('4111 1111 1111 1111')}",
    f"card 4111{NBSP}1111{THIN}1111{SHY}1111",
    "card 4111.1111.1111.1111",
]


def _digits_only(text: str) -> str:
    return "".join(str(int(char)) for char in text if char.isdigit())


@pytest.mark.django_db
def test_hidden_values_reach_neither_the_model_nor_the_embedder(client_a, ready, vertex_fake):
    question = "; ".join(HIDDEN) + f"; mail ahmad＠example.com, call +93{LRM}70{ZWJ}123{WJ}4567"
    body = {
        "capability": "tutor.answer",
        "context": {"feature": "tutor", "locale": "en"},
        "input": {"question": question, "locale": "en"},
    }
    response = client_a.post("/api/v1/ai/complete", body, format="json")
    assert response.status_code == 200, response.content[:300]
    assert response.json()["provenance"]["safety"]["pii_redactions"] == len(HIDDEN) + 2
    embedded = client_a.post("/api/v1/ai/embed", {"texts": HIDDEN}, format="json").json()
    assert embedded["provenance"]["safety"]["pii_redactions"] == len(HIDDEN)
    sent = json.dumps([request.body for request in vertex_fake.received], ensure_ascii=False)
    assert CARD_DIGITS not in _digits_only(sent)
    assert "93701234567" not in _digits_only(sent)
    assert "example.com" not in sent


def test_log_lines_are_scrubbed_of_a_full_width_email():
    from melmastoon_ai.observability.scrub import scrub_text

    assert scrub_text("guest wrote from ahmad＠example.com") == "guest wrote from <EMAIL_1>"
