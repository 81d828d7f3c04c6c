import pytest

from capabilities.models import Capability
from capabilities.selectors import CATALOG_CACHE


@pytest.fixture
def cached_drafts(catalog):
    """message.draft answers cached for ten minutes (it is not cached by default)."""
    Capability.objects.filter(pk="message.draft").update(cache_ttl_seconds=600)
    CATALOG_CACHE.invalidate()
