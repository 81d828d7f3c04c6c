"""Shared fixtures: a migrated database (as the owner role), two tenants, keys and clients.

Tests run as the application role (DATABASE_URL), which is neither superuser nor BYPASSRLS;
`test_rls.py` proves it. Migrations run once per session as the owner role.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from tests.factories import ApiKeyFactory, TenantFactory

# Hypothesis's per-example deadline (200 ms) is a timing assertion; on a loaded 2-core CI machine
# it fails correct code. Speed is measured in bench/, never asserted in tests.
hypothesis_settings.register_profile("melmastoon", deadline=None)
hypothesis_settings.load_profile("melmastoon")

pytest_plugins = ["tests.fake_providers", "tests.edge_models"]  # fake servers, edge models: for any test


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker):
    # A fresh database restarts its id sequences; counters in a Redis that outlived the last
    # session (CI's machine Redis, database 15) would be read as this session's. Start clean.
    from melmastoon_ai.redis_client import get_redis

    get_redis().flushdb()
    with django_db_blocker.unblock():
        call_command("migrate", database="migrations", interactive=False, verbosity=0)
        call_command("seed_catalog", verbosity=0)
        call_command("seed_evals", verbosity=0)  # the suites are evals' own seed


@pytest.fixture
def tenant_a(db):
    return TenantFactory(name="Hotel Alborz")


@pytest.fixture
def tenant_b(db):
    return TenantFactory(name="Hotel Bamyan")


@pytest.fixture
def operator_a(tenant_a):
    """tenant_a as the platform operator's own tenant: its ai:admin keys administer platform-wide
    resources (prompt registry, evals, manifests). Hotel tenants' keys get 403 there."""
    from melmastoon_ai.tenancy.models import Tenant

    Tenant.objects.filter(pk=tenant_a.pk).update(operator=True)
    tenant_a.refresh_from_db()
    return tenant_a


def _client_for(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


@pytest.fixture
def key_a(tenant_a):
    return ApiKeyFactory(tenant=tenant_a, scopes=["ai:invoke", "ai:review", "ai:admin"])


@pytest.fixture
def key_b(tenant_b):
    return ApiKeyFactory(tenant=tenant_b, scopes=["ai:invoke", "ai:review", "ai:admin"])


@pytest.fixture
def client_a(key_a) -> APIClient:
    return _client_for(key_a.raw)


@pytest.fixture
def client_b(key_b) -> APIClient:
    return _client_for(key_b.raw)


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture
def metrics_scraper(settings) -> APIClient:
    """Prometheus as deployed: /metrics with the scrape token (METRICS_TOKEN)."""
    settings.METRICS_TOKEN = "test-scrape-token"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer test-scrape-token")
    return client


@pytest.fixture
def client_for():
    return _client_for


@pytest.fixture
def catalog(db):
    """The seeded catalog (15 capabilities, prompts, models), as `seed_catalog` loads it.

    Seeded once per session; seeded again inside the test when a transactional test emptied it.
    """
    from capabilities.models import Capability
    from capabilities.services import catalog_seed

    if Capability.objects.count() == 15:
        from prompts.models import Prompt
        from routing.models import Model, Provider

        return {
            "providers": Provider.objects.count(),
            "models": Model.objects.count(),
            "prompts": Prompt.objects.count(),
            "capabilities": 15,
            "created": 0,
        }
    from evals.services.seeding import evals_seed

    counts = catalog_seed()
    evals_seed()
    return counts


@pytest.fixture
def staff_user(db):
    from django.contrib.auth.models import User

    return User.objects.create_user("engineer", "engineer@example.com", "pw-engineer-1", is_staff=True)


@pytest.fixture
def superuser(db):
    from django.contrib.auth.models import User

    return User.objects.create_superuser("admin", "admin@example.com", "pw-admin-1")


@pytest.fixture(autouse=True)
def _fresh_registry_caches():
    """Registry caches live in Redis and outlast a test's rolled-back transaction: start clean."""
    from budgets.selectors import BUDGET_CACHE
    from capabilities.selectors import CATALOG_CACHE
    from melmastoon_ai.flags.selectors import FLAG_CACHE
    from melmastoon_ai.tenancy.selectors import CREDENTIAL_CACHE
    from prompts.selectors import PROMPT_CACHE
    from routing.selectors import REGISTRY_CACHE

    for cache in (CATALOG_CACHE, PROMPT_CACHE, REGISTRY_CACHE, CREDENTIAL_CACHE, BUDGET_CACHE, FLAG_CACHE):
        cache.invalidate()
    yield


@pytest.fixture
def admin_client(db, admin_user, client):
    """pytest-django's admin client, logged in with the admin's second factor verified."""
    from tests.factories import staff_login

    return staff_login(client, admin_user)
