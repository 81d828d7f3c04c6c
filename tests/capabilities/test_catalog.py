"""The capability catalog: seeded from the seed table, validated, versioned, served by the API."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from jsonschema import Draft202012Validator

from capabilities.catalog_seed import CAPABILITIES
from capabilities.models import Capability
from capabilities.selectors import capability_get
from capabilities.services import capability_update
from melmastoon_ai.errors import ApplicationError
from prompts.models import PromptVersion

pytestmark = pytest.mark.django_db

# Seed 001 §5.1, Vertex AI's failure handling, copied: "Fallback chain: gemini-pro → claude-3-5-sonnet →
# gpt-4.1; gemini-flash → claude-3-5-sonnet → gpt-4o-mini". Every step that starts with Gemini 1.5 Pro or
# Flash (not Flash-8B, a model of its own in §5.1) continues so, then takes §7's own last fallback.
PRO = ["gemini-1.5-pro", "claude-3-5-sonnet", "gpt-4.1"]
FLASH = ["gemini-1.5-flash", "claude-3-5-sonnet", "gpt-4o-mini"]
D = "deterministic"

SEED_TABLE = {
    # id: (prompt key, prompt version, default model > fallback chain, hitl, explanation stage) from seed 001 §7
    "pricing.suggest": ("PRMP_PRICING_001", "3.0.0", [*FLASH, D], "deviation_over_pct(5)", []),
    # "tabular + gemini-1.5-flash-8b", "last-year naive"
    "pricing.demand_forecast": (
        "PRMP_PRICING_002",
        "2.0.0",
        ["tabular-seasonal-trend", "gemini-1.5-flash-8b", D],
        "never",
        [],
    ),
    # "melmastoon-edge-hkt-v2.onnx", "gemini-1.5-flash (annotation only) → greedy nearest-floor", solver first
    "housekeeping.route": (
        "PRMP_HK_001",
        "1.1.0",
        ["melmastoon-edge-hkt-v2", "ortools-routing", D],
        "accept(lead)",
        FLASH,
    ),
    "staff.shift_optimize": ("PRMP_STAFF_001", "1.0.0", [*FLASH, D], "accept(manager)", []),
    # "melmastoon-edge-anomaly-v3.onnx (classification); gemini-1.5-flash (explanation)", "rule-based heuristics"
    "anomaly.detect": ("PRMP_ANOMALY_001", "4.1.0", ["melmastoon-edge-anomaly-v3", D], "on_auto_block", FLASH),
    "upsell.recommend": ("PRMP_UPSELL_001", "2.0.0", [*FLASH, D], "never", []),
    "message.draft": ("PRMP_MSG_001", "3.0.0", [*FLASH, D], "always", []),
    "review.summarize": ("PRMP_REVIEW_001", "2.0.0", [*PRO, D], "never", []),
    "booking.conversion_hint": ("PRMP_BOOKING_001", "1.0.0", [*FLASH, D], "never", []),
    "tutor.answer": ("PRMP_TUTOR_001", "2.0.0", ["gemini-1.5-flash-8b", "all-minilm-l6-v2", D], "never", []),
    "description.generate": ("PRMP_DESC_001", "3.0.0", ["gemini-1.5-flash-8b", D], "accept(tenant)", []),
    "translation.draft": (
        "PRMP_TRANSLATE_001",
        "2.0.0",
        ["gemini-1.5-flash-8b", "cloud-translation", D],
        "accept(tenant)",
        [],
    ),
    "ocr.id_scan": ("PRMP_OCR_001", "1.0.0", ["gemini-1.5-flash-8b", D], "always", []),
    "stt.transcribe": ("PRMP_STT_001", "1.0.0", ["gemini-1.5-flash-8b", D], "never", []),
    "vision.photo_quality": (None, None, ["melmastoon-edge-photo-quality-v1", "vertex-vision", D], "never", []),
}


def test_every_gemini_pro_or_flash_step_continues_as_seed_5_1_says(catalog):
    for capability in Capability.objects.select_related("default_model"):
        for step in (list(capability.chain), list(capability.explanation_chain)):
            for start, rest in (("gemini-1.5-pro", PRO), ("gemini-1.5-flash", FLASH)):
                if start in step:
                    at = step.index(start)
                    assert step[at : at + 3] == rest, (capability.id, step)


def test_seed_catalog_loads_all_15_rows_as_the_seed_table_gives_them(catalog):
    assert catalog["capabilities"] == 15 == len(CAPABILITIES) == Capability.objects.count()
    for capability in Capability.objects.select_related("prompt", "default_model"):
        prompt_key, prompt_version, chain, hitl, explanation = SEED_TABLE[capability.id]
        assert (list(capability.chain), capability.hitl_rule, list(capability.explanation_chain)) == (
            chain,
            hitl,
            explanation,
        ), capability.id
        assert capability.fallback_chain[-1] == "deterministic"
        if prompt_key is None:
            assert capability.prompt is None
        else:
            active = capability.prompt.versions.get(status=PromptVersion.Status.ACTIVE)
            assert (capability.prompt.key, active.version) == (prompt_key, prompt_version)


def test_every_example_validates_against_its_own_input_schema(catalog):
    for capability in Capability.objects.all():
        Draft202012Validator.check_schema(capability.input_schema)
        Draft202012Validator.check_schema(capability.output_schema)
        validator = Draft202012Validator(capability.input_schema)
        assert capability.examples, capability.id
        for example in capability.examples:
            errors = [error.message for error in validator.iter_errors(example)]
            assert errors == [], (capability.id, errors)


def test_seed_catalog_is_idempotent(catalog, capsys):
    versions = dict(Capability.objects.values_list("id", "version"))
    history = Capability.history.count()
    call_command("seed_catalog")
    assert "15 capabilities (0 new)" in capsys.readouterr().out
    assert dict(Capability.objects.values_list("id", "version")) == versions
    assert Capability.history.count() == history
    assert PromptVersion.objects.filter(status="active").count() == 14


def test_a_schema_change_needs_a_higher_version(catalog):
    schema = dict(Capability.objects.get(pk="upsell.recommend").output_schema, description="changed")
    with pytest.raises(ApplicationError, match="higher capability version"):
        capability_update(capability_id="upsell.recommend", output_schema=schema)
    updated = capability_update(capability_id="upsell.recommend", output_schema=schema, version="1.1.0")
    assert updated.version == "1.1.0"
    assert Capability.history.filter(id="upsell.recommend").first().version == "1.1.0"


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"fallback_chain": ["gpt-4o-mini"]}, "must end in 'deterministic'"),
        ({"fallback_chain": ["no-such-model", "deterministic"]}, "unknown models"),
        ({"hitl_rule": "sometimes"}, "not a HITL rule"),
        ({"examples": [{"nonsense": True}]}, "example 0 does not validate"),
    ],
)
def test_invalid_catalog_changes_are_refused_with_the_reason(catalog, change, problem):
    with pytest.raises(ApplicationError) as error:
        capability_update(capability_id="pricing.suggest", **change)
    assert any(problem in text for text in error.value.details["problems"])
    assert Capability.objects.get(pk="pricing.suggest").hitl_rule == "deviation_over_pct(5)"


def test_catalog_reads_see_changes_immediately(catalog, django_capture_on_commit_callbacks):
    assert capability_get(capability_id="upsell.recommend").cache_ttl_seconds == 1800
    with django_capture_on_commit_callbacks(execute=True):
        capability_update(capability_id="upsell.recommend", cache_ttl_seconds=60)
    assert capability_get(capability_id="upsell.recommend").cache_ttl_seconds == 60
    with django_capture_on_commit_callbacks(execute=True):
        capability_update(capability_id="upsell.recommend", enabled=False)
    assert capability_get(capability_id="upsell.recommend") is None


def test_capabilities_api_lists_all_with_the_contract_fields(client_a, catalog):
    response = client_a.get("/api/v1/ai/capabilities")
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 15
    for row in rows:
        assert {"id", "version", "hitl", "cost_class", "latency_target_ms"} <= set(row)
    pricing = next(row for row in rows if row["id"] == "pricing.suggest")
    assert (pricing["hitl"], pricing["latency_target_ms"], pricing["cost_class"]) == (
        "deviation_over_pct(5)",
        1500,
        "medium",
    )


def test_capability_detail_has_schemas_and_valid_examples(client_a, catalog):
    response = client_a.get("/api/v1/ai/capabilities/message.draft")
    assert response.status_code == 200
    body = response.json()
    assert {"intent", "locale", "guest_name"} <= set(body["input_schema"]["properties"])
    assert {"subject", "body", "locale"} <= set(body["output_schema"]["properties"])
    validator = Draft202012Validator(body["input_schema"])
    assert body["examples"] and all(validator.is_valid(example) for example in body["examples"])


def test_unknown_capability_is_404_unknown_capability(client_a, catalog):
    response = client_a.get("/api/v1/ai/capabilities/pricing.guess")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_capability"


def test_capabilities_need_authentication(anon_client, catalog):
    assert anon_client.get("/api/v1/ai/capabilities").status_code == 401


def test_readyz_reports_the_catalog(anon_client, catalog):
    response = anon_client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["catalog"]["status"] == "ok"


def test_readyz_fails_when_the_catalog_is_not_loaded(anon_client, catalog):
    Capability.objects.filter(id__in=["pricing.suggest", "tutor.answer"]).delete()
    response = anon_client.get("/readyz")
    assert response.status_code == 503
    assert "catalog" in response.json()["failing"]
