"""The embedders a corpus can pin, over the router's adapters (the chain of /embed, without the
silent fallback: a corpus's vectors all come from one model).

- `text-embedding-004` (Vertex, 768 dimensions), when configured, its circuit closed and the
  tenant's residency allows it;
- `all-minilm-l6-v2` (the edge model of the signed manifest, 384), verified on every load;
- `deterministic-ngram-hash-384`, which needs no model file (lexical, degraded quality).

Texts are redacted before they reach any model. `EmbeddingUnavailable` says the pinned model
cannot answer now: ingestion retries later, search falls back to full text alone.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from django.conf import settings

from guardrails.pii import redact
from melmastoon_ai.tenancy.models import Tenant
from rag.chunking import TokenCounter, estimate_tokens
from routing.attempts import call_provider
from routing.breakers import BreakerConfig, CircuitBreakers
from routing.providers.base import ProviderError, RequestContext
from routing.providers.deterministic import embeddings as deterministic_embeddings
from routing.providers.registry import adapter_for
from routing.residency import eu_resident

EDGE_MODEL = "all-minilm-l6-v2"
VERTEX_MODEL = "text-embedding-004"
DETERMINISTIC_MODEL = deterministic_embeddings.MODEL_NAME
DIMENSIONS = {EDGE_MODEL: 384, VERTEX_MODEL: 768, DETERMINISTIC_MODEL: deterministic_embeddings.DIMENSIONS}
EMBED_TIMEOUT_SECONDS = 10.0


class EmbeddingUnavailable(Exception):
    pass


@dataclass(frozen=True)
class Embedder:
    model: str
    version: str  # model and file version, as recorded on the corpus and in provenance
    dim: int
    _embed: object
    count_tokens: TokenCounter = estimate_tokens

    def embed(self, texts: Sequence[str], *, country: str | None = None) -> list[list[float]]:
        if not texts:
            return []
        redacted = [redact(text, country=country).text for text in texts]
        try:
            vectors = self._embed(redacted)
        except ProviderError as exc:
            raise EmbeddingUnavailable(f"{self.model}: {exc.kind}") from exc
        if len(vectors) != len(texts) or any(len(vector) != self.dim for vector in vectors):
            raise EmbeddingUnavailable(f"{self.model} answered {len(vectors)} vectors of the wrong shape")
        return vectors


@functools.lru_cache(maxsize=1)
def _breakers() -> CircuitBreakers:
    return CircuitBreakers(
        BreakerConfig(
            failure_threshold=settings.BREAKER_FAILURE_THRESHOLD, cooldown_seconds=settings.BREAKER_COOLDOWN_SECONDS
        )
    )


def embedder_for(model: str, *, tenant: Tenant) -> Embedder:
    if model == DETERMINISTIC_MODEL:
        return Embedder(
            DETERMINISTIC_MODEL, DETERMINISTIC_MODEL, DIMENSIONS[model], deterministic_embeddings.embed_texts
        )
    if model == EDGE_MODEL:
        return _edge(tenant)
    if model == VERTEX_MODEL:
        return _vertex(tenant)
    raise EmbeddingUnavailable(f"{model!r} is not an embedding model a corpus can use")


def _edge(tenant: Tenant) -> Embedder:
    edge = adapter_for("edge")
    if edge is None or not edge.is_configured(EDGE_MODEL):
        raise EmbeddingUnavailable(f"{EDGE_MODEL} is not in the published manifest")
    try:
        loaded = edge.models.load(EDGE_MODEL, tenant_id=str(tenant.id))
    except ProviderError as exc:
        raise EmbeddingUnavailable(f"{EDGE_MODEL}: {exc.kind}") from exc
    counter = loaded.counter

    def count(texts: Sequence[str]) -> list[int]:
        if counter is None:
            return estimate_tokens(texts)
        return [len(encoding.ids) for encoding in counter.encode_batch(list(texts), add_special_tokens=False)]

    def embed(texts: list[str]) -> list[list[float]]:
        return [[float(value) for value in row] for row in edge._embed(loaded, texts).tolist()]

    return Embedder(EDGE_MODEL, f"{EDGE_MODEL}@{loaded.version}", DIMENSIONS[EDGE_MODEL], embed, count)


def _vertex(tenant: Tenant) -> Embedder:
    vertex = adapter_for("vertex")
    if vertex is None or not vertex.is_configured(VERTEX_MODEL):
        raise EmbeddingUnavailable(f"{VERTEX_MODEL} is not configured")
    if tenant.data_residency == Tenant.Residency.EU_ONLY:
        context = RequestContext(
            tenant_id=str(tenant.id),
            tenant_region=tenant.region,
            tenant_country=tenant.country,
            locale="",
            feature="rag",
            offline=False,
            eu_only=True,
        )
        if not eu_resident(provider="vertex", adapter=vertex, context=context):
            raise EmbeddingUnavailable(f"{VERTEX_MODEL} is not processed in the EU for this tenant")
    breakers = _breakers()
    if not breakers.allow("vertex"):
        raise EmbeddingUnavailable("the vertex circuit is open")

    def embed(texts: list[str]) -> list[list[float]]:
        called = call_provider(
            lambda: vertex.embed(texts, region=tenant.region, timeout=EMBED_TIMEOUT_SECONDS),
            provider="vertex",
            model=VERTEX_MODEL,
            breakers=breakers,
            breaker="vertex",  # a bad request is not Vertex's fault: it does not count
            gate=False,  # asked when the embedder was chosen
        )
        if called.error is not None:
            raise called.error
        return cast(list[list[float]], called.value)

    return Embedder(VERTEX_MODEL, VERTEX_MODEL, DIMENSIONS[VERTEX_MODEL], embed)


def first_available(*, tenant: Tenant) -> Embedder:
    """The first model of RAG_EMBEDDING_MODELS that answers now: what a new corpus pins."""
    reasons = []
    for model in settings.RAG_EMBEDDING_MODELS:
        try:
            return embedder_for(model, tenant=tenant)
        except EmbeddingUnavailable as exc:
            reasons.append(str(exc))
    raise EmbeddingUnavailable("no embedding model is available: " + "; ".join(reasons))
