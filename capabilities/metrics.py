"""Prometheus series and the structured log line of every inference, emitted once its record has
committed (capabilities.recording registers `inference_observed` with `transaction.on_commit`).

Labels are (capability, provider, model[, outcome]): each bounded by the catalog and the model
registry. The tenant is never a label here: hotels are many and grow, and a series per hotel and
model would multiply the scrape without bound; per-tenant figures come from ai_calls_fact (the
usage API). The budget gauges (budgets/metrics.py) carry a tenant, one series per budget.
"""

from __future__ import annotations

import logging

from prometheus_client import Counter, Histogram

LABELS = ["capability", "provider", "model"]
INFERENCES = Counter(
    "melmastoon_inferences_total", "Inferences, by outcome (ok, degraded, cached)", [*LABELS, "outcome"]
)
TOKENS = Counter(
    "melmastoon_inference_tokens_total", "Tokens charged, by direction (input, output)", [*LABELS, "direction"]
)
COST = Counter("melmastoon_inference_cost_usd_total", "Cost of inferences (USD)", LABELS)
LATENCY = Histogram(
    "melmastoon_inference_latency_seconds",
    "Whole-request latency of an inference",
    LABELS,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 8, 12, 20),
)
OVERHEAD = Histogram(
    "melmastoon_gateway_overhead_seconds",
    "Time an inference spent in the gateway, not the provider (seed 002's SLO: p95 under 300 ms)",
    ["capability"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1),
)
ROUTER_DECISION = Histogram(
    "melmastoon_router_decision_seconds",
    "Time the router spent deciding, not waiting on providers (seed 002's SLO: p95 under 50 ms)",
    ["capability"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
)
FALLBACKS = Counter("melmastoon_inference_fallbacks_total", "Inferences answered by a later model of the chain", LABELS)
SCHEMA_REPAIRS = Counter("melmastoon_inference_schema_repairs_total", "Answers that needed a schema repair", LABELS)
MODERATION_BLOCKS = Counter(
    "melmastoon_moderation_blocks_total",
    "Requests refused by moderation, by stage (input, output)",
    ["capability", "stage"],
)

logger = logging.getLogger("melmastoon_ai.inference")


def inference_observed(summary: dict) -> None:
    """One inference's series and its log line. `summary` holds ids, names and figures only: never
    the input, the output or the caller's context (no personal data reaches the log)."""
    labels = (summary["capability"], summary["provider"], summary["model"])
    INFERENCES.labels(*labels, summary["outcome"]).inc()
    TOKENS.labels(*labels, "input").inc(summary["tokens_input"])
    TOKENS.labels(*labels, "output").inc(summary["tokens_output"])
    COST.labels(*labels).inc(float(summary["cost_usd"]))
    LATENCY.labels(*labels).observe(summary["latency_ms"] / 1000)
    OVERHEAD.labels(summary["capability"]).observe(summary["overhead_ms"] / 1000)
    if not summary["cache_hit"]:  # a cache hit asks no router
        ROUTER_DECISION.labels(summary["capability"]).observe(summary["router_decision_ms"] / 1000)
    if summary["fallback_used"]:
        FALLBACKS.labels(*labels).inc()
    if summary["repaired"]:
        SCHEMA_REPAIRS.labels(*labels).inc()
    logger.info("inference", extra=summary)


def moderation_block_observed(*, capability: str, stage: str) -> None:
    MODERATION_BLOCKS.labels(capability, stage).inc()
