"""Schemathesis against our own /api/schema/: no 500s and no response that contradicts the schema.

It runs in-process (WSGI) so that the generated calls see this test's tenant and key; the
checks are schemathesis' defaults (status code conformance, content type, response schema,
no server errors, ...). SCHEMATHESIS_MAX_EXAMPLES=200 searches harder than the 25 per operation CI runs.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from melmastoon_ai.tenancy.models import Tenant
from tests.factories import ApiKeyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_schema(catalog, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(rate_limit_per_minute=1_000_000)
    # As Django's own test client does: keep the test's connection (and transaction) open
    # across the in-process requests instead of recycling it at each request boundary.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def admin_key(tenant_a):
    return ApiKeyFactory(tenant=tenant_a, scopes=["ai:invoke", "ai:review", "ai:admin"])


def negative_data_rejection_or_too_large(ctx, response, case):
    """Schemathesis' rejection check, with 413 `payload_too_large` (docs/api.md: a body over the
    1 MiB limit, refused before it is parsed) counted as a rejection: its default list lacks 413,
    and a 100,000-character string of escaped astral characters is a 1.2 MB body."""
    if response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large":
        return True
    return negative_data_rejection(ctx, response, case)


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_openapi_schema(case, admin_key):
    # Acceptance of schema-valid data is not checked: whether a body is acceptable also depends on
    # rules OpenAPI cannot express (a capability's own input schema, prompt-key and semver rules);
    # those answer 4xx in the envelope, which the status-code and response-schema checks cover.
    case.call_and_validate(
        headers={"X-API-Key": admin_key.raw},
        excluded_checks=[positive_data_acceptance, negative_data_rejection],
        additional_checks=[negative_data_rejection_or_too_large],
    )
