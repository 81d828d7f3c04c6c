"""The deterministic fallbacks answer schema-valid output for every valid input, and sensibly.

Pure Python: no database, no Django settings needed.
"""

from __future__ import annotations

import base64
import datetime
import functools
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator
from PIL import Image, ImageFilter

from capabilities.fallbacks import (
    FallbackContext,
    FaqEntry,
    UnknownFallbackError,
    run_fallback,
)
from capabilities.fallbacks.common import KNOWN_LOCALES
from capabilities.schemas import CAPABILITY_IDS, load_definition

FAQ = (
    FaqEntry(
        "faq-refund",
        "How do I refund a cancelled booking?",
        "Open the folio, choose Refund, enter the reason. Refunds above 100 USD need a manager's approval.",
        "en",
    ),
    FaqEntry(
        "faq-checkout-time",
        "What time is check-out?",
        "Check-out is at 12:00; late check-out costs half a night.",
        "en",
    ),
    FaqEntry("faq-checkout-time-ar", "ما هو وقت تسجيل المغادرة؟", "تسجيل المغادرة الساعة 12:00 ظهراً.", "ar"),
    FaqEntry(
        "faq-out-of-order",
        "چگونه یک اتاق را برای تعمیر از فروش خارج کنم؟",
        "در سیستم، اتاق را انتخاب کنید و وضعیت آن را «خارج از سرویس» بگذارید.",
        "fa",
    ),
)
CONTEXT = FallbackContext(locale="en", tenant_country="AF", faq_entries=FAQ, today=datetime.date(2025, 3, 1))


@functools.cache
def _output_validator(capability_id: str) -> Draft202012Validator:
    schema = load_definition(capability_id)["output_schema"]
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@functools.cache
def _input_strategy(capability_id: str) -> st.SearchStrategy:
    return from_schema(load_definition(capability_id)["input_schema"])


def _assert_valid_output(capability_id: str, output: dict) -> None:
    validator = _output_validator(capability_id)
    errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(output)]
    assert not errors, errors


def _run(capability_id: str, payload: dict, ctx: FallbackContext = CONTEXT) -> dict:
    output = run_fallback(capability_id, payload, ctx)
    _assert_valid_output(capability_id, output)
    return output


contexts = st.builds(
    FallbackContext,
    locale=st.sampled_from([*KNOWN_LOCALES, "en-GB", "ar-AE", "fa-IR", "zz", ""]),
    tenant_country=st.sampled_from([None, "AF", "AE", "SA", "FR", "DE"]),
    faq_entries=st.lists(
        st.builds(
            FaqEntry,
            id=st.text(max_size=20),
            question=st.text(max_size=80),
            answer=st.text(max_size=200),
            locale=st.sampled_from(KNOWN_LOCALES),
        ),
        max_size=4,
    ).map(tuple)
    | st.just(FAQ),
    today=st.none() | st.dates(),
)


@pytest.mark.parametrize("capability_id", CAPABILITY_IDS)
def test_fallback_output_is_valid_for_every_example(capability_id):
    for example in load_definition(capability_id)["examples"]:
        _run(capability_id, example)


@pytest.mark.parametrize("capability_id", CAPABILITY_IDS)
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_fallback_output_is_valid_for_generated_inputs(capability_id, data):
    payload = data.draw(_input_strategy(capability_id), label="payload")
    _run(capability_id, payload, data.draw(contexts, label="ctx"))


def test_unknown_capability_has_no_fallback():
    with pytest.raises(UnknownFallbackError):
        run_fallback("pricing.guess", {}, CONTEXT)


# pricing.suggest


def _price(**overrides) -> dict:
    payload = {
        "bar": {"amount": 100.0, "currency": "USD"},
        "occupancy_pct": 60,
        "stay_date": "2025-05-01",
        "lead_time_days": 20,
        **overrides,
    }
    return _run("pricing.suggest", payload)


def test_high_occupancy_and_short_lead_time_raise_the_price_within_the_band():
    output = _price(occupancy_pct=97, lead_time_days=1, special_event=True)
    assert output["deviation_pct"] == 25.0
    assert output["suggested_price"] == {"amount": 125.0, "currency": "USD"}
    assert output["clamped_by"] == ["band"]
    assert "occupancy" in output["rationale"] and "lead time" in output["rationale"]


def test_low_occupancy_far_ahead_lowers_the_price_with_a_negative_deviation():
    output = _price(occupancy_pct=10, lead_time_days=120)
    assert output["suggested_price"]["amount"] == 85.0
    assert output["deviation_pct"] == -15.0


def test_hotel_floor_and_ceiling_win_over_the_rule():
    assert _price(occupancy_pct=10, lead_time_days=120, min_price=95)["suggested_price"]["amount"] == 95
    capped = _price(occupancy_pct=95, lead_time_days=1, max_price=104)
    assert capped["suggested_price"]["amount"] == 104
    assert capped["deviation_pct"] == 4.0
    assert "max_price" in capped["clamped_by"]


def test_prices_round_to_the_currency_minor_unit():
    assert _price(bar={"amount": 12345.0, "currency": "JPY"}, occupancy_pct=85)["suggested_price"]["amount"] == 13580
    kwd = _price(bar={"amount": 33.333, "currency": "KWD"}, occupancy_pct=85)["suggested_price"]["amount"]
    assert kwd == 36.666


def test_lead_time_is_derived_from_today_when_absent():
    payload = {"bar": {"amount": 100.0, "currency": "EUR"}, "occupancy_pct": 75, "stay_date": "2025-03-03"}
    assert _run("pricing.suggest", payload)["deviation_pct"] == 10.0  # +5 occupancy, +5 two days ahead


# pricing.demand_forecast


def test_forecast_prefers_same_date_last_year_then_same_weekday_then_mean():
    payload = {
        "start_date": "2025-06-01",
        "horizon_days": 4,
        "room_count": 40,
        "history": [
            {"date": "2024-06-01", "rooms_sold": 31},
            {"date": "2025-05-26", "rooms_sold": 19},  # a Monday, like 2025-06-02
            {"date": "2025-05-27", "rooms_sold": 26},  # a Tuesday, like 2025-06-03
        ],
    }
    days = _run("pricing.demand_forecast", payload)["days"]
    assert [(day["date"], day["expected_rooms_sold"], day["method"]) for day in days] == [
        ("2025-06-01", 31, "same_date_last_year"),
        ("2025-06-02", 19, "same_weekday_nearest"),
        ("2025-06-03", 26, "same_weekday_nearest"),
        ("2025-06-04", 25.33, "history_mean"),  # no Wednesday in the history
    ]
    assert days[0]["expected_occupancy_pct"] == 77.5


# housekeeping.route


def test_route_finishes_each_floor_before_moving_on():
    rooms = [
        {"room_number": number, "floor": int(number[0]), "status": "stayover"}
        for number in ("301", "101", "302", "201", "102", "303", "202")
    ]
    output = _run("housekeeping.route", {"start_floor": 1, "rooms": rooms})
    assert [stop["room_number"] for stop in output["stops"]] == ["101", "102", "201", "202", "301", "302", "303"]
    assert output["floor_changes"] == 2


def test_route_serves_arrivals_and_checkouts_before_stayovers():
    rooms = [
        {"room_number": "101", "floor": 1, "status": "stayover"},
        {"room_number": "401", "floor": 4, "status": "arrival", "priority": "vip"},
        {"room_number": "102", "floor": 1, "status": "checkout"},
    ]
    output = _run("housekeeping.route", {"start_floor": 1, "rooms": rooms, "shift_minutes": 60})
    assert [stop["room_number"] for stop in output["stops"]] == ["102", "401", "101"]
    assert output["exceeds_shift"] is True


# staff.shift_optimize


def test_scheduler_respects_minimum_rest_and_reports_the_gap():
    shifts = [
        {
            "shift_id": "mon-late",
            "day_index": 0,
            "start_hour": 15,
            "duration_hours": 8,
            "role": "front_desk",
            "required_staff": 1,
        },
        {
            "shift_id": "tue-early",
            "day_index": 1,
            "start_hour": 7,
            "duration_hours": 8,
            "role": "front_desk",
            "required_staff": 1,
        },
    ]
    staff = [{"staff_id": "s-1", "roles": ["front_desk"]}]
    output = _run(
        "staff.shift_optimize",
        {"week_start": "2025-05-05", "shifts": shifts, "staff": staff, "rules": {"min_rest_hours": 11}},
    )
    assert [assignment["staff_ids"] for assignment in output["assignments"]] == [["s-1"], []]
    assert output["unmet_demand"] == [{"shift_id": "tue-early", "role": "front_desk", "missing": 1}]


def test_scheduler_respects_weekly_limits_and_unavailable_days():
    shifts = [
        {
            "shift_id": f"d{day}",
            "day_index": day,
            "start_hour": 8,
            "duration_hours": 8,
            "role": "housekeeping",
            "required_staff": 1,
        }
        for day in range(7)
    ]
    staff = [
        {"staff_id": "gul", "roles": ["housekeeping"], "max_shifts_per_week": 3, "unavailable_days": [0]},
        {"staff_id": "zahra", "roles": ["housekeeping"]},
    ]
    output = _run("staff.shift_optimize", {"week_start": "2025-05-05", "shifts": shifts, "staff": staff})
    load = {entry["staff_id"]: entry["shifts"] for entry in output["staff_load"]}
    assert load == {"gul": 3, "zahra": 4}
    assert output["assignments"][0]["staff_ids"] == ["zahra"]
    assert output["unmet_demand"] == []


# anomaly.detect


def test_a_night_void_spree_with_a_large_refund_is_anomalous():
    output = _run("anomaly.detect", load_definition("anomaly.detect")["examples"][0])
    assert output["verdict"] == "anomalous"
    assert output["recommend_block"] is True
    assert {"night_void_spree", "refund_over_threshold"} <= {reason["code"] for reason in output["reasons"]}
    assert output["subjects"] == ["u-17"]


def test_daytime_routine_is_normal():
    events = [
        {
            "event_id": f"p{index}",
            "type": "payment",
            "at": f"2025-07-14T1{index}:00:00Z",
            "user_id": "u-3",
            "amount": 120,
        }
        for index in range(5)
    ]
    output = _run("anomaly.detect", {"events": events})
    assert (output["verdict"], output["score"], output["recommend_block"]) == ("normal", 0.0, False)


def test_repeated_keycard_failures_are_suspicious_without_a_block():
    events = [
        {"event_id": f"k{index}", "type": "keycard_failure", "at": "2025-07-14T03:00:00+03:00", "room_number": "204"}
        for index in range(6)
    ]
    output = _run("anomaly.detect", {"events": events})
    assert output["verdict"] == "suspicious"
    assert output["recommend_block"] is False


# upsell.recommend


def test_upsell_uses_only_available_catalog_items_with_their_prices():
    output = _run("upsell.recommend", load_definition("upsell.recommend")["examples"][0])
    assert [offer["code"] for offer in output["offers"]] == ["extra_bed", "breakfast", "laundry"]
    assert output["offers"][0]["price"] == {"amount": 15, "currency": "USD"}
    assert output["offers"][0]["title"] == "سرير إضافي"


def test_upsell_skips_purchased_offers():
    payload = {"check_in": "2025-01-20", "nights": 2, "adults": 1, "already_purchased": ["breakfast"]}
    assert "breakfast" not in [offer["code"] for offer in _run("upsell.recommend", payload)["offers"]]


# message.draft


def test_arabic_message_is_right_to_left_and_names_the_guest():
    payload = {
        "intent": "booking_confirmation",
        "locale": "ar",
        "guest_name": "فاطمة الزهراء",
        "hotel_name": "فندق النخيل",
        "stay": {"check_in": "2025-04-10", "booking_ref": "NKH-4821"},
    }
    output = _run("message.draft", payload)
    assert output["direction"] == "rtl"
    assert output["locale"] == "ar"
    assert "فاطمة الزهراء" in output["body"]
    assert "NKH-4821" in output["body"] and "2025-04-10" in output["body"]
    assert "{" not in output["body"]


@pytest.mark.parametrize(
    "intent",
    ["booking_confirmation", "pre_arrival", "check_in_instructions", "post_stay_thanks", "payment_reminder", "apology"],
)
@pytest.mark.parametrize(
    ("locale", "direction"), [("en", "ltr"), ("ar", "rtl"), ("fa-AF", "rtl"), ("ps", "rtl"), ("fr", "ltr")]
)
def test_every_intent_has_a_template_in_every_written_language(intent, locale, direction):
    output = _run("message.draft", {"intent": intent, "locale": locale, "guest_name": "Gul Ahmad"})
    assert (output["locale"], output["direction"]) == (locale, direction)
    assert "Gul Ahmad" in output["body"] and "{" not in output["subject"] + output["body"]


def test_unknown_locale_falls_back_to_english_and_says_so():
    output = _run("message.draft", {"intent": "post_stay_thanks", "locale": "de", "guest_name": "Jonas"})
    assert (output["locale"], output["requested_locale"]) == ("en", "de")
    assert any("'de'" in note for note in output["notes"])


# review.summarize, tutor.answer


def test_review_themes_carry_sentiment_across_languages():
    output = _run("review.summarize", load_definition("review.summarize")["examples"][0])
    themes = {entry["theme"]: entry["sentiment"] for entry in output["themes"]}
    assert themes["cleanliness"] == "positive" and themes["wifi"] == "negative" and themes["noise"] == "negative"
    assert "wifi" in output["top_negatives"]
    assert _run("review.summarize", {"reviews": [{"review_id": "n", "text": "The room was not clean."}]})[
        "top_negatives"
    ] == ["cleanliness"]


def test_tutor_answers_from_the_matching_faq_entry():
    output = _run("tutor.answer", {"question": "How can I refund a booking that was cancelled?", "locale": "en"})
    assert output["sources"] == ["faq-refund"]
    assert output["answer"].startswith("Open the folio")
    assert output["confidence"] > 0.5


def test_tutor_prefers_the_entry_in_the_askers_language():
    output = _run("tutor.answer", {"question": "ما هو وقت تسجيل المغادرة؟", "locale": "ar"})
    assert output["sources"] == ["faq-checkout-time-ar"]


def test_tutor_admits_when_no_entry_matches():
    output = _run("tutor.answer", {"question": "Where is the swimming pool heater switch?", "locale": "ps"})
    assert (output["sources"], output["confidence"]) == ([], 0.0)
    assert "مدیر" in output["answer"]


# description, translation, id scan, speech


def test_description_states_only_given_facts_and_fits_max_length():
    payload = load_definition("description.generate")["examples"][0] | {"max_length": 200}
    output = _run("description.generate", payload)
    assert len(output["body"]) <= 200 and output["body"].startswith("Enjoy a comfortable stay in the Deluxe")


def test_translation_is_flagged_for_a_human():
    output = _run("translation.draft", load_definition("translation.draft")["examples"][0])
    assert output["needs_human_translation"] is True
    assert output["translated_text"] == load_definition("translation.draft")["examples"][0]["source_text"]
    assert output["target_locale"] == "ps"


def test_id_scan_asks_for_manual_entry_and_keeps_the_image_by_reference():
    example = load_definition("ocr.id_scan")["examples"][1]
    output = _run("ocr.id_scan", example)
    assert output["manual_entry_required"] is True
    assert output["image_ref"].startswith("inline:sha256:") and len(output["image_ref"]) == 14 + 64
    assert set(output["fields"].values()) == {None}


def test_speech_fallback_offers_quick_taps_in_the_locale():
    output = _run("stt.transcribe", load_definition("stt.transcribe")["examples"][0])
    assert output["manual_input_required"] is True and output["transcript"] == ""
    assert {"code": "room_clean", "label": "خونه پاکه ده"} in output["quick_taps"]


# vision.photo_quality


def _photo(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _checkerboard_room(size: tuple[int, int] = (320, 240)) -> Image.Image:
    image = Image.new("L", size, 130)
    for x in range(0, size[0], 16):
        for y in range(0, size[1], 16):
            if (x // 16 + y // 16) % 2:
                image.paste(190, (x, y, x + 16, y + 16))
    return image.convert("RGB")


def test_sharp_well_exposed_photo_scores_higher_than_a_blurred_dark_one():
    sharp = _checkerboard_room()
    dark_blurred = Image.eval(sharp.filter(ImageFilter.GaussianBlur(6)), lambda value: value // 6)
    request = {"purpose": "damage_report", "min_width": 320, "min_height": 240}
    good = _run("vision.photo_quality", request | {"image_base64": _photo(sharp)})
    bad = _run("vision.photo_quality", request | {"image_base64": _photo(dark_blurred)})
    assert good["pass"] is True and bad["pass"] is False
    assert good["score"] > bad["score"] + 0.4
    assert good["measurements"]["sharpness"] > 10 * bad["measurements"]["sharpness"]
    assert any("dark" in reason for reason in bad["reasons"])
    assert any("blurred" in reason for reason in bad["reasons"])


def test_photo_below_the_purposes_resolution_fails():
    output = _run("vision.photo_quality", {"image_base64": _photo(_checkerboard_room()), "purpose": "room_listing"})
    assert output["pass"] is False
    assert output["measurements"]["width"] == 320
    assert any("1280x720" in reason for reason in output["reasons"])


@pytest.mark.parametrize(
    "payload",
    [
        {"image_base64": base64.b64encode(b"definitely not an image").decode()},
        {"image_base64": ""},
        {"image_ref": "media:0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"},
    ],
)
def test_photos_that_cannot_be_measured_never_pass(payload):
    output = _run("vision.photo_quality", payload)
    assert (output["pass"], output["score"]) == (False, 0.0)
    assert output["reasons"]
    if "image_ref" in payload:
        assert output["reasons"] == ["image not available for local measurement"]
