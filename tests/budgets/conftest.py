import pytest

from melmastoon_ai.tenancy.models import Tenant
from tests.routing.providers.conftest import (  # noqa: F401  (the fake provider fixtures, shared)
    _anthropic_server,
    _openai_server,
    _vertex_server,
    anthropic_fake,
    openai_fake,
    providers_from_settings,
    vertex_fake,
)


@pytest.fixture
def providers_ready(providers_from_settings, tenant_a):  # noqa: F811
    Tenant.objects.filter(pk=tenant_a.pk).update(rate_limit_per_minute=100_000, cache_enabled=False)
    return providers_from_settings
