import pytest

from melmastoon_ai.tenancy.models import Tenant


@pytest.fixture
def providers_ready(providers_from_settings, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(rate_limit_per_minute=100_000, cache_enabled=False)
    return providers_from_settings


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """Budget counters in Redis move when the ledger rows commit (`transaction.on_commit`); tests
    run inside a transaction that never commits, so they run those callbacks with this."""
    return django_capture_on_commit_callbacks
