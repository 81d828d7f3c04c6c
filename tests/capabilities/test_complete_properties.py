"""Property: for any input valid against a capability's input schema, `complete` answers 200 with
output valid against its output schema, or refuses it with a clear error (moderation, NUL
characters), never a 500 (hypothesis-jsonschema generates the inputs)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator, FormatChecker

from capabilities.catalog_seed import CAPABILITIES
from capabilities.schemas import load_definition
from melmastoon_ai.tenancy.models import Tenant

pytestmark = pytest.mark.django_db


def _strategy(capability_id: str):
    definition = load_definition(capability_id)
    validator = Draft202012Validator(definition["input_schema"], format_checker=FormatChecker())
    # hypothesis-jsonschema does not enforce `format`; keep only inputs the gateway itself accepts.
    return from_schema(definition["input_schema"]).filter(validator.is_valid)


@pytest.mark.parametrize("capability_id", [row["id"] for row in CAPABILITIES])
def test_generated_valid_inputs_get_schema_valid_outputs(client_a, tenant_a, catalog, capability_id):
    Tenant.objects.filter(pk=tenant_a.pk).update(rate_limit_per_minute=100_000, cache_enabled=False)
    output_validator = Draft202012Validator(load_definition(capability_id)["output_schema"])

    @settings(
        max_examples=15,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.function_scoped_fixture,
            HealthCheck.data_too_large,
        ],
    )
    @given(payload=_strategy(capability_id))
    def check(payload):
        response = client_a.post("/api/v1/ai/complete", {"capability": capability_id, "input": payload}, format="json")
        assert response.status_code in (200, 400, 422), response.content[:500]
        if response.status_code == 400:  # only for text PostgreSQL cannot store (NUL characters)
            assert "NUL" in str(response.json()["error"]["details"])
            return
        if response.status_code == 422:  # random text can look like a phone number or a slur to moderation
            assert response.json()["error"]["code"] == "content_blocked"
            return
        errors = [error.message for error in output_validator.iter_errors(response.json()["output"])]
        assert errors == [], (payload, errors)

    check()
