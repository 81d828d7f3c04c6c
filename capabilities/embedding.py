"""POST /api/v1/ai/embed: Vertex text-embedding-004 when it is configured and its circuit is
closed, else the edge all-MiniLM-L6-v2 (384 dimensions, when the signed manifest lists it and its
load verifies), else the deterministic hashed-n-gram embedder (degraded). Texts are redacted
first: nothing bound for a model carries personal data."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from capabilities.guardrails.pii import redact
from melmastoon_ai.tenancy.models import Tenant
from routing.providers.base import ProviderError, RequestContext
from routing.providers.deterministic import embeddings as deterministic_embeddings
from routing.providers.registry import adapter_for
from routing.residency import eu_resident

logger = logging.getLogger(__name__)
VERTEX_EMBEDDING_MODEL = "text-embedding-004"
EDGE_EMBEDDING_MODEL = "all-minilm-l6-v2"
EMBED_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Embeddings:
    model: str
    provider: str
    vectors: list[list[float]]
    degraded: bool
    pii_redactions: int
    attempts: list[dict]

    @property
    def dim(self) -> int:
        return len(self.vectors[0]) if self.vectors else 0


def embed_texts(*, texts: list[str], tenant: Tenant, breakers) -> Embeddings:
    redactions = [redact(text, country=tenant.country or None) for text in texts]
    redacted = [redaction.text for redaction in redactions]
    pii = sum(redaction.total for redaction in redactions)
    attempts: list[dict] = []
    vertex = adapter_for("vertex")
    if vertex is None or not vertex.is_configured(VERTEX_EMBEDDING_MODEL):
        attempts.append({"provider": "vertex", "model": VERTEX_EMBEDDING_MODEL, "outcome": "not_configured"})
    elif tenant.data_residency == Tenant.Residency.EU_ONLY and not eu_resident(
            provider="vertex", adapter=vertex, context=_embedding_context(tenant)):
        attempts.append({"provider": "vertex", "model": VERTEX_EMBEDDING_MODEL, "outcome": "residency"})
    elif not breakers.allow("vertex"):
        attempts.append({"provider": "vertex", "model": VERTEX_EMBEDDING_MODEL, "outcome": "circuit_open"})
    else:
        try:
            vectors = vertex.embed(redacted, region=tenant.region, timeout=EMBED_TIMEOUT_SECONDS)
        except ProviderError as exc:
            breakers.record_failure("vertex")
            attempts.append({"provider": "vertex", "model": VERTEX_EMBEDDING_MODEL, "outcome": "error",
                             "detail": exc.kind})
        else:
            breakers.record_success("vertex")
            attempts.append({"provider": "vertex", "model": VERTEX_EMBEDDING_MODEL, "outcome": "ok"})
            return Embeddings(VERTEX_EMBEDDING_MODEL, "vertex", vectors, False, pii, attempts)
    edge = _edge_embeddings(redacted, tenant, attempts)
    if edge is not None:
        return Embeddings(EDGE_EMBEDDING_MODEL, "edge", edge, False, pii, attempts)
    attempts.append({"provider": "deterministic", "model": deterministic_embeddings.MODEL_NAME, "outcome": "ok"})
    return Embeddings(deterministic_embeddings.MODEL_NAME, "deterministic",
                      deterministic_embeddings.embed_texts(redacted), True, pii, attempts)


def _embedding_context(tenant: Tenant) -> RequestContext:
    """What the adapters need to know to say where an embedding call would be processed."""
    return RequestContext(tenant_id=str(tenant.id), tenant_region=tenant.region, tenant_country=tenant.country,
                          locale="", feature="embed", offline=False, eu_only=True)


def _edge_embeddings(texts: list[str], tenant: Tenant, attempts: list[dict]) -> list[list[float]] | None:
    """The edge embedder, verified on load; a refused load is recorded and the next one answers."""
    edge = adapter_for("edge")
    if edge is None or not edge.is_configured(EDGE_EMBEDDING_MODEL):
        attempts.append({"provider": "edge", "model": EDGE_EMBEDDING_MODEL, "outcome": "not_configured"})
        return None
    try:
        _model, vectors = edge.embed(texts, tenant_id=str(tenant.id))
    except ProviderError as exc:
        attempts.append({"provider": "edge", "model": EDGE_EMBEDDING_MODEL, "outcome": "error", "detail": exc.kind})
        return None
    attempts.append({"provider": "edge", "model": EDGE_EMBEDDING_MODEL, "outcome": "ok"})
    return vectors
