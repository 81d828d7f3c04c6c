"""The capability schemas, their examples and the prompt registry seed are well formed.

Pure Python: no database, no Django settings needed.
"""

from __future__ import annotations

import base64
import io
import json
import re
import string
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from PIL import Image

from capabilities.fallbacks import FALLBACKS
from capabilities.fallbacks.common import KNOWN_LOCALES
from capabilities.schemas import CAPABILITY_IDS, load_definition

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = REPO_ROOT / "capabilities" / "schemas"
PROMPTS_SEED = REPO_ROOT / "prompts" / "seed" / "prompts.json"

OUTPUT_TYPES = {
    "pricing.suggest": "PricingSuggestion",
    "pricing.demand_forecast": "DemandForecast",
    "housekeeping.route": "HousekeepingRoute",
    "staff.shift_optimize": "ShiftSchedule",
    "anomaly.detect": "AnomalyVerdict",
    "upsell.recommend": "UpsellOffer[]",
    "message.draft": "MessageDraft",
    "review.summarize": "ReviewSummary",
    "booking.conversion_hint": "ConversionHint",
    "tutor.answer": "TutorAnswer",
    "description.generate": "Description",
    "translation.draft": "TranslationDraft",
    "ocr.id_scan": "IdScanFields",
    "stt.transcribe": "Transcription",
    "vision.photo_quality": "PhotoQualityScore",
}
PROMPT_VERSIONS = {
    "PRMP_PRICING_001": ("pricing.suggest", "3.0.0"),
    "PRMP_PRICING_002": ("pricing.demand_forecast", "2.0.0"),
    "PRMP_HK_001": ("housekeeping.route", "1.1.0"),
    "PRMP_STAFF_001": ("staff.shift_optimize", "1.0.0"),
    "PRMP_ANOMALY_001": ("anomaly.detect", "4.1.0"),
    "PRMP_UPSELL_001": ("upsell.recommend", "2.0.0"),
    "PRMP_MSG_001": ("message.draft", "3.0.0"),
    "PRMP_REVIEW_001": ("review.summarize", "2.0.0"),
    "PRMP_BOOKING_001": ("booking.conversion_hint", "1.0.0"),
    "PRMP_TUTOR_001": ("tutor.answer", "2.0.0"),
    "PRMP_DESC_001": ("description.generate", "3.0.0"),
    "PRMP_TRANSLATE_001": ("translation.draft", "2.0.0"),
    "PRMP_OCR_001": ("ocr.id_scan", "1.0.0"),
    "PRMP_STT_001": ("stt.transcribe", "1.0.0"),
}


def _subschemas(schema: object):
    """Every schema object nested in `schema`, itself included."""
    if isinstance(schema, dict):
        yield schema
        for value in schema.values():
            yield from _subschemas(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _subschemas(item)


def _types(schema: dict) -> set[str]:
    declared = schema.get("type", [])
    return {declared} if isinstance(declared, str) else set(declared)


def test_one_schema_file_and_one_fallback_per_catalog_capability():
    assert len(CAPABILITY_IDS) == 15
    assert {path.name.removesuffix(".json") for path in SCHEMA_DIR.glob("*.json")} == set(CAPABILITY_IDS)
    assert list(FALLBACKS) == list(CAPABILITY_IDS)


@pytest.mark.parametrize("capability_id", CAPABILITY_IDS)
def test_schemas_are_valid_draft_2020_12_with_output_type_title(capability_id):
    definition = load_definition(capability_id)
    assert set(definition) == {"input_schema", "output_schema", "examples"}
    for key in ("input_schema", "output_schema"):
        schema = definition[key]
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["type"] == "object"
    assert definition["output_schema"]["title"] == OUTPUT_TYPES[capability_id]


@pytest.mark.parametrize("capability_id", CAPABILITY_IDS)
def test_every_object_is_closed_and_every_input_is_bounded(capability_id):
    definition = load_definition(capability_id)
    for schema in _subschemas([definition["input_schema"], definition["output_schema"]]):
        if "object" in _types(schema):
            assert schema["additionalProperties"] is False
            assert set(schema["required"]) <= set(schema["properties"])
    for schema in _subschemas(definition["input_schema"]):
        kinds = _types(schema)
        if "string" in kinds:
            assert "maxLength" in schema or "enum" in schema or "pattern" in schema, schema
        if "array" in kinds:
            assert "maxItems" in schema, schema
        if kinds & {"number", "integer"}:
            assert "maximum" in schema and ("minimum" in schema or "exclusiveMinimum" in schema), schema


@pytest.mark.parametrize("capability_id", CAPABILITY_IDS)
def test_examples_are_valid_inputs(capability_id):
    definition = load_definition(capability_id)
    validator = Draft202012Validator(definition["input_schema"], format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert len(definition["examples"]) >= 2
    for example in definition["examples"]:
        assert not list(validator.iter_errors(example))


def test_locale_enums_cover_the_markets_and_match_the_fallbacks():
    locale_enums = [
        schema["enum"]
        for capability_id in CAPABILITY_IDS
        for schema in _subschemas(load_definition(capability_id))
        if schema.get("description", "").startswith("BCP 47")
    ]
    assert locale_enums
    for enum in locale_enums:
        assert tuple(enum) == KNOWN_LOCALES
    assert {"en", "ar", "fa", "fa-AF", "prs", "ps", "fr"} <= set(KNOWN_LOCALES)


def test_pricing_suggest_binding_fields():
    definition = load_definition("pricing.suggest")
    inputs = definition["input_schema"]
    assert {"bar", "occupancy_pct", "stay_date"} <= set(inputs["required"])
    bar_amount = inputs["properties"]["bar"]["properties"]["amount"]
    assert bar_amount["exclusiveMinimum"] == 0
    assert inputs["properties"]["bar"]["properties"]["currency"]["pattern"] == "^[A-Z]{3}$"
    occupancy = inputs["properties"]["occupancy_pct"]
    assert (occupancy["minimum"], occupancy["maximum"]) == (0, 100)
    stay_date = inputs["properties"]["stay_date"]
    assert stay_date["format"] == "date"
    assert stay_date["pattern"] == r"^\d{4}-\d{2}-\d{2}$"
    outputs = definition["output_schema"]
    assert {"suggested_price", "deviation_pct", "rationale"} <= set(outputs["required"])
    assert set(outputs["properties"]["suggested_price"]["required"]) == {"amount", "currency"}


@pytest.mark.parametrize(
    ("capability_id", "inputs", "outputs"),
    [
        ("message.draft", {"intent", "locale", "guest_name"}, {"subject", "body", "locale"}),
        ("tutor.answer", {"question", "locale"}, {"answer", "sources"}),
    ],
)
def test_binding_fields_of_api_md(capability_id, inputs, outputs):
    definition = load_definition(capability_id)
    assert inputs <= set(definition["input_schema"]["required"])
    assert outputs <= set(definition["output_schema"]["required"])


def test_tutor_sources_is_a_list():
    assert load_definition("tutor.answer")["output_schema"]["properties"]["sources"]["type"] == "array"


def test_photo_quality_examples_carry_real_small_images():
    images = [
        example["image_base64"]
        for example in load_definition("vision.photo_quality")["examples"]
        if "image_base64" in example
    ]
    assert len(images) >= 2
    for encoded in images:
        assert len(encoded) < 8 * 1024
        with Image.open(io.BytesIO(base64.b64decode(encoded))) as image:
            assert image.size == (64, 48)


def test_load_definition_returns_a_copy_and_rejects_unknown_ids():
    load_definition("pricing.suggest")["examples"].clear()
    assert load_definition("pricing.suggest")["examples"]
    with pytest.raises(KeyError):
        load_definition("../settings")


def _prompts() -> list[dict]:
    return json.loads(PROMPTS_SEED.read_text(encoding="utf-8"))


def test_prompt_seed_has_the_catalog_prompts_at_their_versions():
    prompts = _prompts()
    assert {entry["key"]: (entry["capability"], entry["version"]) for entry in prompts} == PROMPT_VERSIONS
    assert len(prompts) == len(PROMPT_VERSIONS)
    assert "vision.photo_quality" not in {entry["capability"] for entry in prompts}


@pytest.mark.parametrize("entry", _prompts(), ids=lambda entry: entry["key"])
def test_prompt_templates_declare_exactly_the_variables_they_use(entry):
    assert set(entry) == {
        "key",
        "domain",
        "description",
        "capability",
        "version",
        "system_template",
        "user_template",
        "variables",
        "model_parameters",
    }
    assert re.fullmatch(rf"PRMP_{entry['domain']}_\d{{3}}", entry["key"])
    assert re.fullmatch(r"\d+\.\d+\.\d+", entry["version"])
    used = set()
    for key in ("system_template", "user_template"):
        template = string.Template(entry[key])
        assert template.is_valid()
        used |= set(template.get_identifiers())
    assert used == set(entry["variables"])
    rendered = string.Template(entry["system_template"]).substitute(dict.fromkeys(entry["variables"], "x"))
    assert "JSON" in rendered and "invent" in rendered
    parameters = entry["model_parameters"]
    assert 0 <= parameters["temperature"] <= 1
    assert 0 < parameters["max_output_tokens"] <= 8192
