"""The response cache and human review (issue 15 #12, #13): a repeat of a gated answer reuses its
gate (pending: the same gate; approved or edited: the reviewed output with its decision; rejected:
asked again), and `Cache-Control: no-cache` skips the cache read."""

from __future__ import annotations

import pytest

from hitl.models import HitlGate
from melmastoon_ai.tenancy.context import tenant_context

SURGE = {
    "bar": {"amount": 120, "currency": "EUR"},
    "occupancy_pct": 97,
    "stay_date": "2027-03-14",
    "lead_time_days": 2,
}  # the fallback suggests well above BAR: a gate opens


@pytest.fixture
def ask(client_a, catalog, django_capture_on_commit_callbacks):
    def ask(**headers):
        with django_capture_on_commit_callbacks(execute=True):
            return client_a.post(
                "/api/v1/ai/complete", {"capability": "pricing.suggest", "input": SURGE}, format="json", **headers
            ).json()

    return ask


def _gates(tenant) -> list[HitlGate]:
    with tenant_context(tenant.id):
        return list(HitlGate.objects.all())


def _decide(client, gate_id: str, **decision):
    response = client.post(f"/api/v1/ai/hitl/gates/{gate_id}/decision", decision, format="json")
    assert response.status_code == 200, response.content[:300]


def test_repeats_of_a_pending_draft_return_its_gate_not_new_ones(ask, tenant_a):
    first = ask()
    assert first["hitl"]["status"] == "pending"
    repeats = [ask(), ask()]
    assert all(repeat["provenance"]["cache_hit"] for repeat in repeats)
    assert {repeat["hitl"]["gate_id"] for repeat in repeats} == {first["hitl"]["gate_id"]}
    assert len(_gates(tenant_a)) == 1


def test_a_repeat_after_approval_returns_the_reviewed_output_with_its_decision(ask, client_a, tenant_a):
    first = ask()
    edited = first["output"] | {"suggested_price": {"amount": 131.0, "currency": "EUR"}, "deviation_pct": 9.17}
    _decide(client_a, first["hitl"]["gate_id"], decision="edit", edited_output=edited)
    repeat = ask()
    assert repeat["provenance"]["cache_hit"] is True
    assert repeat["output"]["suggested_price"] == {"amount": 131.0, "currency": "EUR"}
    assert repeat["hitl"]["status"] == "edited" and repeat["hitl"]["decision"]["decision"] == "edit"
    assert len(_gates(tenant_a)) == 1


def test_a_repeat_after_rejection_asks_again_with_a_new_gate(ask, client_a, tenant_a):
    first = ask()
    _decide(client_a, first["hitl"]["gate_id"], decision="reject", comment="too high for March")
    repeat = ask()
    assert repeat["provenance"]["cache_hit"] is False
    assert repeat["hitl"]["status"] == "pending" and repeat["hitl"]["gate_id"] != first["hitl"]["gate_id"]


def test_cache_control_no_cache_skips_the_read_and_no_store_the_write(ask, tenant_a):
    ask()
    assert ask()["provenance"]["cache_hit"] is True
    assert ask(HTTP_CACHE_CONTROL="no-cache")["provenance"]["cache_hit"] is False
    assert ask(HTTP_CACHE_CONTROL="max-age=0, No-Cache")["provenance"]["cache_hit"] is False
    assert ask()["provenance"]["cache_hit"] is True
