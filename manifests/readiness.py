"""/readyz: the published edge manifest must verify and every file it lists must be on disk, unchanged.

Desktops download those files through signed links and the edge provider loads them; a manifest
whose files were overwritten or removed would hand out links that 404 and loads that are refused,
while the service said it was ready. No manifest published is ready: the edge provider is then
simply not configured.
"""

from __future__ import annotations

from manifests.verification import published_manifest_problem
from melmastoon_ai.observability.health import register_readiness_check


@register_readiness_check("edge_manifest")
def edge_manifest_ready() -> str | None:
    problem = published_manifest_problem()
    return None if problem in (None, "no_manifest") else f"the published edge manifest cannot be served: {problem}"
