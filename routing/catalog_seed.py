"""The model catalog the seed table names (seed 001 §5, §7; seed 003), with list prices.

Prices are the providers' published list prices per million units, as of `PRICE_DATE`, for the
europe-west1 / default tier with prompts up to 128k tokens. Re-check them before using cost
figures for billing: providers change prices without notice.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

PRICE_DATE = dt.date(2025, 1, 15)
VERTEX_PRICING = "https://cloud.google.com/vertex-ai/generative-ai/pricing"
ANTHROPIC_PRICING = "https://www.anthropic.com/pricing#api"
OPENAI_PRICING = "https://openai.com/api/pricing/"

PROVIDERS = [
    {"kind": "vertex", "display_name": "Vertex AI", "data_regions": ["europe-west1"]},
    # The direct API processes in the US; Claude on the Vertex partner endpoint (VERTEX_ANTHROPIC) in the
    # tenant's Vertex region. The router asks the adapter which endpoint a call goes to (routing/residency.py).
    {"kind": "anthropic", "display_name": "Anthropic Claude", "data_regions": ["us"]},
    {"kind": "openai", "display_name": "OpenAI", "data_regions": ["us"]},
    {"kind": "self_hosted", "display_name": "Self-hosted (OpenAI-compatible)", "data_regions": []},
    {"kind": "edge", "display_name": "Edge ONNX Runtime", "data_regions": ["on-device"]},
    {"kind": "deterministic", "display_name": "Deterministic fallback", "data_regions": ["in-process"]},
    # Optimisers and small statistical models run by the gateway itself (capabilities/solvers/): no data
    # leaves the process, and a failure (too little history, no solution in time) moves the chain on.
    {"kind": "in_process", "display_name": "In-process solvers and tabular models", "data_regions": ["in-process"]},
    # Google Cloud services with their own APIs and SDKs (not Gemini): each processes where its
    # configured endpoint is (the adapter says, routing/residency.py); these are the EU defaults.
    {"kind": "documentai", "display_name": "Document AI", "data_regions": ["eu"]},
    {"kind": "speech", "display_name": "Speech-to-Text", "data_regions": ["eu"]},
    {"kind": "translation", "display_name": "Cloud Translation", "data_regions": ["europe-west1"]},
    {"kind": "vision", "display_name": "Cloud Vision", "data_regions": ["eu"]},
]


def _m(
    name, provider, modality, context, cost, latency, price_in, price_out, *, unit="token", source="", regions=()
) -> dict:
    return {
        "name": name,
        "provider": provider,
        "modality": modality,
        "context_window": context,
        "cost_class": cost,
        "latency_class": latency,
        "price_unit": unit,
        "input_price_per_million": Decimal(price_in),
        "output_price_per_million": Decimal(price_out),
        "price_as_of": PRICE_DATE if source else None,
        "price_source": source,
        "regions": list(regions),
    }


MODELS = [
    _m(
        "gemini-1.5-pro",
        "vertex",
        "multimodal",
        2_097_152,
        "high",
        "slow",
        "1.25",
        "5.00",
        source=VERTEX_PRICING,
        regions=["europe-west1"],
    ),
    _m(
        "gemini-1.5-flash",
        "vertex",
        "multimodal",
        1_048_576,
        "medium",
        "interactive",
        "0.075",
        "0.30",
        source=VERTEX_PRICING,
        regions=["europe-west1"],
    ),
    _m(
        "gemini-1.5-flash-8b",
        "vertex",
        "multimodal",
        1_048_576,
        "low",
        "interactive",
        "0.0375",
        "0.15",
        source=VERTEX_PRICING,
        regions=["europe-west1"],
    ),
    _m(
        "text-embedding-004",
        "vertex",
        "embedding",
        2_048,
        "low",
        "realtime",
        "0.025",
        "0",
        unit="character",
        source=VERTEX_PRICING,
        regions=["europe-west1"],
    ),
    _m(
        "document-ai-ocr",
        "documentai",
        "document",
        0,
        "medium",
        "slow",
        "1500",
        "0",
        unit="page",
        source="https://cloud.google.com/document-ai/pricing",
        regions=["eu"],
    ),
    # v1 standard recognition without data logging (guest voice notes are not lent to Google's model
    # training): $0.006 per 15 s, billed in 15 s increments ($0.016 a minute is the data-logging price).
    _m(
        "vertex-speech-to-text",
        "speech",
        "speech",
        0,
        "low",
        "interactive",
        "24000",
        "0",
        unit="minute",
        source="https://cloud.google.com/speech-to-text/pricing",
        regions=["eu"],
    ),
    _m(
        "cloud-translation",
        "translation",
        "text",
        0,
        "low",
        "interactive",
        "20",
        "0",
        unit="character",
        source="https://cloud.google.com/translate/pricing",
        regions=["europe-west1"],
    ),
    _m(
        "vertex-vision",
        "vision",
        "vision",
        0,
        "low",
        "interactive",
        "1500",
        "0",
        unit="page",
        source="https://cloud.google.com/vision/pricing",
        regions=["eu"],
    ),
    _m(
        "claude-3-5-sonnet",
        "anthropic",
        "multimodal",
        200_000,
        "high",
        "interactive",
        "3.00",
        "15.00",
        source=ANTHROPIC_PRICING,
        regions=["europe-west1", "us"],
    ),
    _m(
        "gpt-4.1",
        "openai",
        "multimodal",
        1_047_576,
        "high",
        "interactive",
        "2.00",
        "8.00",
        source=OPENAI_PRICING,
        regions=["us"],
    ),
    _m(
        "gpt-4o-mini",
        "openai",
        "multimodal",
        128_000,
        "medium",
        "interactive",
        "0.15",
        "0.60",
        source=OPENAI_PRICING,
        regions=["us"],
    ),
    _m("phi-3-mini", "self_hosted", "text", 4_096, "free", "slow", "0", "0"),
    _m("all-minilm-l6-v2", "edge", "embedding", 256, "free", "realtime", "0", "0"),
    _m("melmastoon-edge-hkt-v2", "edge", "tabular", 0, "free", "realtime", "0", "0"),
    _m("melmastoon-edge-anomaly-v3", "edge", "tabular", 0, "free", "realtime", "0", "0"),
    # Seed 001 names a MobileNetV3-small scorer; no such weights can be had without a hub download, so
    # the edge scorer is the project's own model over measured image features, named for what it is.
    _m("melmastoon-edge-photo-quality-v1", "edge", "vision", 0, "free", "realtime", "0", "0"),
    _m("ortools-routing", "in_process", "tabular", 0, "free", "realtime", "0", "0"),
    _m("tabular-seasonal-trend", "in_process", "tabular", 0, "free", "realtime", "0", "0"),
    _m("deterministic", "deterministic", "rules", 0, "free", "realtime", "0", "0"),
    _m("deterministic-ngram-hash-384", "deterministic", "embedding", 0, "free", "realtime", "0", "0"),
]


# The embedding chains (routing.models.EmbeddingChain), created when missing and never overwritten:
# Vertex when configured and allowed, the edge MiniLM of the signed manifest, the in-process embedder.
EMBEDDING_CHAINS = {"embed": ["text-embedding-004", "all-minilm-l6-v2", "deterministic-ngram-hash-384"]}
