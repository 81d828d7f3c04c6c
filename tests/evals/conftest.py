"""Eval fixtures: the fake provider servers (real HTTP on 127.0.0.1, spoken to by the real SDKs)
and small suites whose expected metrics the tests work out by hand."""

from __future__ import annotations

import pytest

from evals.models import EvalSuite, GoldenCase
from prompts.models import PromptVersion
from prompts.services import prompt_version_create_draft
from routing.fakes.answers import POOR_QUALITY_MARKER

PRICING_PROMPT = "PRMP_PRICING_001"


@pytest.fixture(autouse=True)
def _loopback(loopback_only):
    """Evals talk to the fake provider servers; nothing may leave the machine."""


def pricing_input(bar: float, occupancy: float, lead: int, **extra) -> dict:
    return {
        "bar": {"amount": bar, "currency": "USD"},
        "occupancy_pct": occupancy,
        "stay_date": "2027-05-01",
        "lead_time_days": lead,
        **extra,
    }


@pytest.fixture
def pricing_suite(catalog) -> EvalSuite:
    """Four cases. The fake answers what the pricing rule gives (capabilities/fallbacks/
    pricing_suggest.py): occupancy >= 90 is +15 %, 45-70 is 0 %, 30-45 is -5 %, a lead time of
    3 days or less at >= 70 % occupancy another +5 %, clamped to [-15 %, +25 %]."""
    suite = EvalSuite.objects.create(
        key="EVAL_TEST_PRICING",
        capability_id="pricing.suggest",
        metrics=["schema_valid_rate", "pass_rate", "mape", "field_match_rate", "fallback_rate"],
        config={"numeric_field": "suggested_price.amount", "case_max_ape": 0.1},
        thresholds={"schema_valid_rate": {"min": 1.0}, "mape": {"max": 0.1}},
        tolerances={"mape": 0.02, "pass_rate": 0.0},
    )
    cases = [
        # 95 % and 2 days: +20 % -> 120.00; expected 120: error 0
        ("peak-short-lead", pricing_input(100.0, 95, 2), {"number": 120.0}, 1.0),
        # 60 %, 20 days: 0 % -> 200.00; expected 200: error 0
        ("mid-demand", pricing_input(200.0, 60, 20), {"number": 200.0}, 1.0),
        # 40 %, 20 days: -5 % -> 95.00; expected 100: error 0.05
        (
            "soft-demand",
            pricing_input(100.0, 40, 20),
            {"number": 100.0, "fields": {"suggested_price.currency": "USD"}},
            1.0,
        ),
        # 60 %: 0 % -> 150.00; expected 120: error 0.25, fails its case (above 0.1); weight 2
        ("manager-discounts", pricing_input(150.0, 60, 10), {"number": 120.0}, 2.0),
    ]
    for key, payload, expected, weight in cases:
        GoldenCase.objects.create(suite=suite, key=key, input=payload, expected=expected, weight=weight)
    return suite


def pricing_draft(version: str, *, poor: bool = False) -> PromptVersion:
    active = PromptVersion.objects.get(prompt__key=PRICING_PROMPT, status=PromptVersion.Status.ACTIVE)
    system = active.system_template + (f"\n{POOR_QUALITY_MARKER}" if poor else "")
    return prompt_version_create_draft(
        prompt_key=PRICING_PROMPT,
        version=version,
        system_template=system,
        user_template=active.user_template,
        variables=list(active.variables),
        model_parameters=active.model_parameters,
    )


@pytest.fixture
def active_pricing(catalog) -> PromptVersion:
    return PromptVersion.objects.get(prompt__key=PRICING_PROMPT, status=PromptVersion.Status.ACTIVE)


GOOGLE_CLOUD_KINDS = ("documentai", "speech", "translation", "vision", "gcs")
VOICE_BUCKET = "melmastoon-voice"  # the voice notes' bucket (stt.transcribe's golden references)


def put_golden_media(gcs) -> list[str]:
    """Every Cloud Storage object the enabled golden cases reference, put into the fake bucket as a
    sample of its kind (a fake ID scan, listing photo or voice note: routing/fakes/samples.py)."""
    from routing.media import MEDIA_FIELDS

    refs = sorted(
        {
            str(case.input[field])
            for case in GoldenCase.objects.filter(enabled=True)
            for _, _, field in MEDIA_FIELDS
            if str(case.input.get(field, "")).startswith(("gcs://", "gs://"))
        }
    )
    for ref in refs:
        gcs.put_sample(ref)
    return refs


@pytest.fixture
def fakes(request):
    """The fakes, each SDK client warmed up by one call first: a cold client's first call can
    outlast pricing's 1.5 s per-attempt timeout on a loaded machine and fall back, which would
    make `fallback_rate` depend on the machine's load. Every first step the catalog names runs as
    deployed: the Google Cloud pre-steps (Document AI, Speech-to-Text, Cloud Translation, Cloud
    Vision) against their fakes, with the golden cases' media in the fake Cloud Storage, and the
    edge models (anomaly classifier, photo-quality scorer) from a signed, published manifest."""
    from melmastoon_ai.redis_client import get_redis
    from routing.breakers import CircuitBreakers
    from routing.providers.registry import adapter_for
    from tests.fake_providers import MEDIA_BUCKET
    from tests.routing.providers.support import make_request

    kinds = ("vertex", "openai", "anthropic", *GOOGLE_CLOUD_KINDS, "edge")
    # circuit breakers live in Redis and outlast other tests' failures: start closed
    get_redis().delete(*[CircuitBreakers.key(kind) for kind in kinds])

    request.getfixturevalue("providers_from_settings")
    google = request.getfixturevalue("google_cloud_from_settings")
    google.MEDIA_GCS_BUCKETS = [MEDIA_BUCKET, VOICE_BUCKET]
    request.getfixturevalue("edge")
    servers = {kind: request.getfixturevalue(f"{kind}_fake") for kind in ("vertex", "openai", "anthropic")}
    for kind, model in (("vertex", "gemini-1.5-flash"), ("openai", "gpt-4o-mini"), ("anthropic", "claude-3-5-sonnet")):
        adapter = adapter_for(kind)
        if adapter is not None and adapter.is_configured(model):
            adapter.complete(make_request(model=model, timeout=30))
    for fake in servers.values():
        fake.reset()
    cloud = request.getfixturevalue("google_cloud_fakes")
    put_golden_media(cloud.gcs)
    servers |= {kind: getattr(cloud, kind) for kind in GOOGLE_CLOUD_KINDS}
    yield servers
    get_redis().delete(*[CircuitBreakers.key(kind) for kind in kinds])
