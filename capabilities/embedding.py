"""POST /api/v1/ai/embed: Vertex text-embedding-004 when it is configured and its circuit is
closed, else the edge all-MiniLM-L6-v2 (384 dimensions, when the signed manifest lists it and its
load verifies), else the deterministic hashed-n-gram embedder (degraded). Texts are redacted
first: nothing bound for a model carries personal data."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from budgets.services import budget_release, budget_reserve, budget_settle
from capabilities.models import UsageFact
from capabilities.pipeline import check_rate_limit, token_upper_bound
from guardrails.pii import redact
from melmastoon_ai.tenancy.context import release_connection, tenant_context
from melmastoon_ai.tenancy.models import Tenant
from routing.providers.base import ProviderError, RequestContext
from routing.providers.deterministic import embeddings as deterministic_embeddings
from routing.providers.registry import adapter_for
from routing.residency import eu_resident
from routing.router import cost_of_tokens

logger = logging.getLogger(__name__)
VERTEX_EMBEDDING_MODEL = "text-embedding-004"
EDGE_EMBEDDING_MODEL = "all-minilm-l6-v2"
EMBED_TIMEOUT_SECONDS = 5.0
EMBEDDINGS_USAGE = "embeddings"  # the `capability` of an /embed call's usage fact (not a catalog row)


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


@dataclass(frozen=True)
class EmbedCall:
    """One /embed call as it was answered and charged."""

    embeddings: Embeddings
    tokens: int
    cost_usd: Decimal


def embed_request(*, tenant: Tenant, texts: list[str], feature: str, breakers) -> EmbedCall:
    """/embed as a charged call, in the same three phases as `complete`: the rate limit and the
    budget reservation (past the hard cap the cloud model is skipped), the call with nothing held,
    then the usage fact and the ledger in one short transaction."""
    check_rate_limit(tenant, feature)
    tokens = sum(token_upper_bound(text) for text in texts)
    with tenant_context(tenant.id):
        reservation = budget_reserve(tenant_id=tenant.id, feature=feature, tokens=tokens,
                                     cost_usd=cost_of_tokens(VERTEX_EMBEDDING_MODEL, tokens, 0))
    release_connection()
    started = time.perf_counter()
    charged = reservation is not None and not reservation.skip_models
    try:
        embeddings = embed_texts(texts=texts, tenant=tenant, breakers=breakers,
                                 skip_cloud=reservation is not None and reservation.skip_models)
        # only the cloud model is paid for and counted; the edge and deterministic embedders are ours
        used = tokens if embeddings.provider == "vertex" else 0
        cost = cost_of_tokens(VERTEX_EMBEDDING_MODEL, used, 0) if used else Decimal(0)
        with tenant_context(tenant.id):
            UsageFact.objects.create(
                tenant=tenant, inference=None, day=timezone.now().date(), capability=EMBEDDINGS_USAGE,
                feature=feature, model=embeddings.model, provider=embeddings.provider, input_tokens=used,
                output_tokens=0, cost_usd=cost, latency_ms=round((time.perf_counter() - started) * 1000),
                cache_hit=False,
                outcome=UsageFact.Outcome.DEGRADED if embeddings.degraded else UsageFact.Outcome.OK,
            )
            if charged:
                budget_settle(reservation=reservation, inference_id=uuid.uuid4(), tokens=used, cost_usd=cost)
    except BaseException:
        if charged:
            budget_release(reservation=reservation)
        raise
    return EmbedCall(embeddings=embeddings, tokens=used, cost_usd=cost)


def embed_texts(*, texts: list[str], tenant: Tenant, breakers, skip_cloud: bool = False) -> Embeddings:
    """`skip_cloud`: the budget is spent; the edge and deterministic embedders still answer."""
    redactions = [redact(text, country=tenant.country or None) for text in texts]
    redacted = [redaction.text for redaction in redactions]
    pii = sum(redaction.total for redaction in redactions)
    attempts: list[dict] = []
    vertex = adapter_for("vertex")
    if skip_cloud:
        attempts.append({"provider": "vertex", "model": VERTEX_EMBEDDING_MODEL, "outcome": "budget"})
    elif vertex is None or not vertex.is_configured(VERTEX_EMBEDDING_MODEL):
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
