"""A model's answer is untrusted input: schema-valid answers that contradict the request are
repaired once and then the chain moves on, and the gateway computes what it can itself (issue 15 #7)."""

from __future__ import annotations

import pytest

from capabilities.fallbacks import FallbackContext, run_fallback
from capabilities.models import Capability
from capabilities.schemas import load_definition
from capabilities.semantics import CHECKS, answer_errors, normalized

BAR = {"amount": 120, "currency": "EUR"}
PRICING = {"bar": BAR, "occupancy_pct": 88, "stay_date": "2027-03-14"}


def test_the_reported_pricing_answer_is_refused_and_the_next_model_answers(
    client_a, tenant_a, catalog, providers_from_settings, vertex_fake, anthropic_fake
):
    bad = {"suggested_price": {"amount": 0.0, "currency": "AAA"}, "deviation_pct": 0.0, "rationale": "trust me"}
    vertex_fake.script(times=None, output=bad)  # the first model keeps answering it, repair included
    body = client_a.post(
        "/api/v1/ai/complete", {"capability": "pricing.suggest", "input": PRICING}, format="json"
    ).json()
    attempts = [(a["provider"], a["outcome"]) for a in body["provenance"]["attempts"]]
    assert attempts[:2] == [("vertex", "schema_invalid"), ("anthropic", "ok")]
    assert "currency" in body["provenance"]["attempts"][0]["detail"]
    assert len([r for r in vertex_fake.received if ":generateContent" in r.path]) == 2  # the answer + one repair
    output = body["output"]
    assert output["suggested_price"]["currency"] == "EUR"
    assert output["deviation_pct"] == round((output["suggested_price"]["amount"] - 120) / 120 * 100, 2)


def test_a_claimed_deviation_never_decides_the_gate(client_a, tenant_a, catalog, providers_from_settings, vertex_fake):
    # +25 % from BAR, claimed as +0.2 %: within the tolerance nothing is repaired, but the gateway's
    # own figure replaces the claim, and the gate opens on it
    sly = {"suggested_price": {"amount": 150.0, "currency": "EUR"}, "deviation_pct": 24.8, "rationale": "demand"}
    vertex_fake.script(times=None, output=sly)
    body = client_a.post(
        "/api/v1/ai/complete", {"capability": "pricing.suggest", "input": PRICING}, format="json"
    ).json()
    assert body["provenance"]["provider"] == "vertex"
    assert body["output"]["deviation_pct"] == 25.0
    assert body["hitl"] is not None and body["hitl"]["status"] == "pending"


@pytest.mark.parametrize(
    "answer, complaint",
    [
        ({"suggested_price": {"amount": 130, "currency": "USD"}, "deviation_pct": 8.33}, "currency"),
        ({"suggested_price": {"amount": 5, "currency": "EUR"}, "deviation_pct": -95.83}, "outside"),
        ({"suggested_price": {"amount": 130, "currency": "EUR"}, "deviation_pct": 0.0}, "does not follow"),
    ],
)
def test_pricing_answers_that_contradict_the_request(answer, complaint):
    errors = answer_errors("pricing.suggest", PRICING, answer | {"rationale": "x"})
    assert errors and complaint in " ".join(errors)


def test_ids_an_answer_cites_must_be_in_the_input():
    payload = {"reviews": [{"review_id": "r1"}, {"review_id": "r2"}]}
    assert answer_errors("review.summarize", payload, {"themes": [{"review_ids": ["r1", "r2"]}]}) == []
    assert "r9" in answer_errors("review.summarize", payload, {"themes": [{"review_ids": ["r1", "r9"]}]})[0]
    assert answer_errors("tutor.answer", {}, {"sources": ["faq-1"]}, allowed_sources=["faq-1"]) == []
    assert answer_errors("tutor.answer", {}, {"sources": ["made-up"]}, allowed_sources=["faq-1"])


def test_the_deviation_is_computed_by_the_gateway():
    answer = {"suggested_price": {"amount": 132, "currency": "EUR"}, "deviation_pct": 9.9}
    assert normalized("pricing.suggest", PRICING, answer)["deviation_pct"] == 10.0


@pytest.mark.parametrize("capability_id", sorted(CHECKS))
def test_every_deterministic_fallback_satisfies_the_checks_on_its_examples(catalog, capability_id):
    """The checks are not applied to the fallbacks, so the fallbacks must satisfy them on their own."""
    for example in load_definition(capability_id)["examples"] + Capability.objects.get(pk=capability_id).examples:
        output = run_fallback(capability_id, example, FallbackContext())
        assert answer_errors(capability_id, example, output) == [], (capability_id, example)
