"""The normaliser's shortcuts give what the plain definitions give: `_translated` is
`str.translate` with the detection table (it replaces only the characters that change, found by
`_replaced`), and `_single_spaced` is `re.sub(r"\\s+", " ", ...)`."""

from __future__ import annotations

import random
import re

from guardrails import normalize
from guardrails.normalize import _TABLE, _detection_form, _replaced, _single_spaced, _translated


def test_the_changing_characters_are_every_code_point_whose_detection_form_differs():
    basic, beyond, unstable = _replaced()
    every = {chr(code) for code in range(0x110000) if _detection_form(chr(code)) != chr(code)}
    found = {char for char in every if basic.fullmatch(char) or beyond.fullmatch(char)}
    assert found == every
    assert len(every) > 5000 and unstable <= every


def test_translated_equals_str_translate_with_the_table():
    basic, beyond, unstable = _replaced()
    changing = sorted(char for char in map(chr, range(0x30000)) if basic.fullmatch(char) or beyond.fullmatch(char))
    plain = list("abc xyz سلام مرحبا دیدار 123 ")
    rng = random.Random(24)
    for length in (0, 1, 5, 40, 400):
        for _ in range(300):
            pool = changing if rng.random() < 0.3 else changing[: rng.randint(1, 40)]
            text = "".join(rng.choice(pool) if rng.random() < 0.4 else rng.choice(plain) for _ in range(length))
            assert _translated(text) == text.translate(_TABLE), [hex(ord(char)) for char in text]
    for char in unstable:  # forms holding another changing character: left to str.translate
        assert _translated(f"x{char}y") == f"x{char}y".translate(_TABLE)


def test_arabic_script_text_is_translated_by_replacement_not_by_translate(monkeypatch):
    """The shortcut is taken on ordinary text (a handful of digits and letter variants)."""
    calls = []

    class Counting(dict):
        def __missing__(self, code):
            calls.append(code)
            return _TABLE[code]

    text = "رقم جوالي +٩٧١ ٥٠ ١٢٣ ٤٥٦٧ والإيميل، شماره تماس ۰۷۹۹ ۱۲۳ ۴۵۶"
    expected = text.translate(_TABLE)
    monkeypatch.setattr(normalize, "_TABLE", Counting())
    assert _translated(text) == expected
    # looked up: each character that changes, once; str.translate would look up all 60 of the text
    assert sorted(calls) == sorted(ord(char) for char in set(text) if _TABLE[ord(char)] != char)


def test_single_spaced_is_the_regular_expression_over_every_kind_of_whitespace():
    whitespace = [chr(code) for code in range(0x110000) if chr(code).isspace()]
    assert whitespace == [chr(code) for code in range(0x110000) if re.fullmatch(r"\s", chr(code))]
    rng = random.Random(4)
    for _ in range(20_000):
        text = "".join(rng.choice([*whitespace, "a", "ب"]) for _ in range(rng.randint(0, 12)))
        assert _single_spaced(text) == re.sub(r"\s+", " ", text), repr(text)
