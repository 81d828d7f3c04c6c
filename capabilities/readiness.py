"""/readyz: the catalog is ready when every capability of the seed table is loaded."""

from capabilities.catalog_seed import CAPABILITIES
from capabilities.models import Capability
from melmastoon_ai.observability.health import register_readiness_check


@register_readiness_check("catalog")
def catalog_loaded() -> str | None:
    expected = {row["id"] for row in CAPABILITIES}
    present = set(Capability.objects.filter(id__in=expected).values_list("id", flat=True))
    missing = expected - present
    return f"{len(missing)} capabilities not loaded (run seed_catalog)" if missing else None
