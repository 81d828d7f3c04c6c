"""POST /api/v1/ai/embed: the embedding chain of the catalog (routing.models.EmbeddingChain
"embed", seeded as Vertex text-embedding-004 when it is configured, allowed and its circuit is
closed, else the edge all-MiniLM-L6-v2 (384 dimensions, when the signed manifest lists it and its
load verifies), else the deterministic hashed-n-gram embedder, degraded). Texts are redacted
first: nothing bound for a model carries personal data."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from budgets.services import budget_release, budget_reserve, budget_settle
from capabilities.models import UsageFact
from capabilities.pipeline import check_rate_limit, token_upper_bound
from guardrails.pii import redact
from melmastoon_ai.tenancy.context import release_connection, tenant_context
from melmastoon_ai.tenancy.models import Tenant
from routing.attempts import Called, call_provider
from routing.flags import providers_switched_off
from routing.providers.base import RequestContext
from routing.providers.deterministic import embeddings as deterministic_embeddings
from routing.providers.registry import adapter_for
from routing.router import cost_of_tokens, cost_of_units, model_skip_reason
from routing.selectors import ModelSpec, embedding_chain, model_get

logger = logging.getLogger(__name__)
IN_HOUSE = frozenset({"edge", "deterministic"})  # run on our machines: not charged, not counted
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
    characters = sum(len(text) for text in texts)
    dearest = max(
        (embedding_cost(name, characters=characters, tokens=tokens) for name in embedding_chain(use="embed")),
        default=Decimal(0),
    )
    with tenant_context(tenant.id):
        reservation = budget_reserve(tenant_id=tenant.id, feature=feature, tokens=tokens, cost_usd=dearest)
    release_connection()
    started = time.perf_counter()
    charged = reservation is not None and not reservation.skip_models
    try:
        embeddings = embed_texts(
            texts=texts,
            tenant=tenant,
            breakers=breakers,
            skip_cloud=reservation is not None and reservation.skip_models,
        )
        # only a cloud model is paid for and counted; the edge and deterministic embedders are ours
        used = 0 if embeddings.provider in IN_HOUSE else tokens
        cost = embedding_cost(embeddings.model, characters=characters, tokens=used) if used else Decimal(0)
        with tenant_context(tenant.id):
            UsageFact.objects.create(
                tenant=tenant,
                inference=None,
                day=timezone.now().date(),
                capability=EMBEDDINGS_USAGE,
                feature=feature,
                model=embeddings.model,
                provider=embeddings.provider,
                input_tokens=used,
                output_tokens=0,
                cost_usd=cost,
                latency_ms=round((time.perf_counter() - started) * 1000),
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
    """Walk the embedding chain (catalog data: routing.models.EmbeddingChain "embed") by the
    router's skip rules, each call through `call_provider`. `skip_cloud`: the budget is spent, so
    only free models (edge, in-process) are tried."""
    redactions = [redact(text, country=tenant.country or None) for text in texts]
    redacted = [redaction.text for redaction in redactions]
    pii = sum(redaction.total for redaction in redactions)
    attempts: list[dict] = []
    context = _embedding_context(tenant, disabled=frozenset(providers_switched_off(tenant_id=tenant.id)))
    chain = embedding_chain(use="embed")
    release_connection()  # reads the cache did not hold took a connection: not kept while waiting
    for name in chain:
        model = model_get(name=name)
        skip = model_skip_reason(
            model,
            context=context,
            eu_only=tenant.data_residency == Tenant.Residency.EU_ONLY,
            skip_models=skip_cloud and (model is None or model.cost_class != "free"),
        )
        if model is None or skip is not None:
            attempts.append({"provider": model.provider if model else "unknown", "model": name, "outcome": skip})
            continue
        called = _embed_call(model, redacted, tenant, breakers)
        attempts.append(_attempt_row(called))
        if called.value is not None:
            degraded = model.provider == "deterministic"
            return Embeddings(model.name, model.provider, called.value, degraded, pii, attempts)
    # a chain that does not end in the in-process embedder (EmbeddingChain.clean refuses one; an
    # unseeded catalog has none): the answer is still given, degraded
    attempts.append({"provider": "deterministic", "model": deterministic_embeddings.MODEL_NAME, "outcome": "ok"})
    vectors = deterministic_embeddings.embed_texts(redacted)
    return Embeddings(deterministic_embeddings.MODEL_NAME, "deterministic", vectors, True, pii, attempts)


def embedding_cost(model_name: str, *, characters: int, tokens: int) -> Decimal:
    """What an embedding call costs on `model_name` by its list price: text-embedding-004 is priced
    per character (Vertex), a token-priced model per token, in-house models nothing."""
    model = model_get(name=model_name)
    if model is None:
        return Decimal(0)
    if model.price_unit == "character":
        return cost_of_units(model, characters)
    return cost_of_tokens(model_name, tokens, 0)


def _embed_call(model: ModelSpec, texts: list[str], tenant: Tenant, breakers) -> Called[list[list[float]]]:
    """One embedding attempt; each provider kind's embed call differs only in what it is told."""
    if model.provider == "deterministic":
        return call_provider(
            lambda: deterministic_embeddings.embed_texts(texts),
            provider="deterministic",
            model=model.name,
            provider_time=False,
        )
    adapter: Any = adapter_for(model.provider)  # model_skip_reason found it configured; each kind embeds its way
    if model.provider == "edge":  # in-process, on this machine's CPU, verified on load
        return call_provider(
            lambda: adapter.embed(texts, tenant_id=str(tenant.id))[1],
            provider="edge",
            model=model.name,
            provider_time=False,
        )
    return call_provider(
        lambda: adapter.embed(texts, region=tenant.region, timeout=EMBED_TIMEOUT_SECONDS, model=model.name),
        provider=model.provider,
        model=model.name,
        breakers=breakers,
        breaker=model.provider,
    )


def _embedding_context(tenant: Tenant, *, disabled: frozenset[str] = frozenset()) -> RequestContext:
    """What the adapters need to know to say where an embedding call would be processed."""
    return RequestContext(
        tenant_id=str(tenant.id),
        tenant_region=tenant.region,
        tenant_country=tenant.country,
        locale="",
        feature="embed",
        offline=False,
        eu_only=tenant.data_residency == Tenant.Residency.EU_ONLY,
        disabled_providers=disabled,
    )


def _attempt_row(called: Called) -> dict:
    """/embed's attempt rows: the router's, without the latency (they are shown to the caller)."""
    row = {"provider": called.attempt.provider, "model": called.attempt.model, "outcome": called.attempt.outcome}
    if called.attempt.outcome in ("error", "timeout"):
        row["outcome"], row["detail"] = "error", called.attempt.detail
    return row
