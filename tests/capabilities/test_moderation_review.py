"""The review band on the request path: an input whose harm_high the classifier puts in its review
band (under the tenant's blocking threshold) is answered, but the answer is held for a human, a
HITL gate opened whatever the capability's own rule, and the provenance says why."""

from __future__ import annotations

import pytest

from hitl.models import HitlGate
from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.tenancy.models import Tenant
from melmastoon_ai.tenancy.selectors import CREDENTIAL_CACHE

pytestmark = pytest.mark.django_db
THREAT = "I will burn this hotel down tonight"  # harm_high about 0.96: blocked at 0.5, in review under 0.99


@pytest.fixture
def lenient(tenant_a, catalog):
    """A tenant that blocks harm_high only from 0.99: the threat falls in the review band."""
    Tenant.objects.filter(pk=tenant_a.pk).update(moderation_thresholds={"harm_high": 0.99}, cache_enabled=False)
    CREDENTIAL_CACHE.invalidate()
    yield
    CREDENTIAL_CACHE.invalidate()


def _ask(client, question: str, **headers):
    body = {"capability": "tutor.answer", "input": {"question": question, "locale": "en"}, "context": {"feature": "t"}}
    return client.post("/api/v1/ai/complete", body, format="json", **headers)


def test_an_input_in_the_review_band_is_answered_and_held_for_a_human(client_a, tenant_a, lenient):
    response = _ask(client_a, THREAT)
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["hitl"]["status"] == "pending"  # tutor.answer's own rule is `never`
    assert "held the answer for review" in body["hitl"]["reason"] and "harm_high" in body["hitl"]["reason"]
    assert body["provenance"]["safety"]["input"] == "allow"
    assert body["provenance"]["safety"]["input_review"] == ["harm_high"]
    gate = client_a.get(f"/api/v1/ai/hitl/gates/{body['hitl']['gate_id']}").json()
    assert gate["status"] == "pending"
    with tenant_context(tenant_a.id):
        stored = HitlGate.objects.get(pk=body["hitl"]["gate_id"])
    assert stored.capability == "tutor.answer" and THREAT not in stored.reason  # the reason names scores, not text
    # someone on duty reads it soon, whatever the capability's own reviewers and SLA (24 h here)
    assert stored.reviewer_group == "duty-managers"
    assert (stored.sla_due_at - stored.opened_at).total_seconds() == 15 * 60


def test_a_calm_input_opens_no_gate_and_a_threat_over_the_threshold_is_still_refused(client_a, tenant_a, catalog):
    calm = _ask(client_a, "What time does breakfast start?").json()
    assert calm["hitl"] is None and calm["provenance"]["safety"]["input_review"] == []
    refused = _ask(client_a, THREAT)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "content_blocked"
    with tenant_context(tenant_a.id):
        assert not HitlGate.objects.exists()


def test_moderate_says_per_category_whether_it_is_in_review(client_a, catalog):
    body = client_a.post("/api/v1/ai/moderate", {"text": THREAT}, format="json").json()
    assert set(body) == {"verdict", "categories", "provenance"}
    for score in body["categories"].values():
        assert set(score) == {"score", "flagged", "review"}
        assert not (score["flagged"] and score["review"])
    assert body["categories"]["harm_high"] == {
        "score": body["categories"]["harm_high"]["score"],
        "flagged": True,
        "review": False,
    }


def test_a_tenant_can_turn_the_band_off(client_a, tenant_a, lenient):
    Tenant.objects.filter(pk=tenant_a.pk).update(moderation_review=False)
    CREDENTIAL_CACHE.invalidate()
    body = _ask(client_a, THREAT).json()
    assert body["hitl"] is None and body["provenance"]["safety"]["input_review"] == []
