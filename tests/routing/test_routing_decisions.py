"""The routing decision log (seed 002): one row per routed request, append-only for every role."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from capabilities.models import Capability
from melmastoon_ai.tenancy.context import tenant_context
from routing.models import RoutingDecision

pytestmark = pytest.mark.django_db


def _complete(client, capability_id="pricing.suggest"):
    example = Capability.objects.get(pk=capability_id).examples[0]
    return client.post("/api/v1/ai/complete", {"capability": capability_id, "input": example}, format="json").json()


def test_each_routed_request_appends_its_decision(client_a, tenant_a, catalog):
    body = _complete(client_a)
    with tenant_context(tenant_a.id):
        decision = RoutingDecision.objects.get(inference_id=body["id"])
    assert decision.chain == ["gemini-1.5-flash", "claude-3-5-sonnet", "gpt-4o-mini", "deterministic"]
    assert decision.attempts == body["provenance"]["attempts"]
    assert (decision.provider, decision.model) == ("deterministic", "deterministic")
    assert decision.decision_ms >= 0


def test_a_cache_hit_is_not_a_routing_decision(client_a, tenant_a, catalog, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _complete(client_a)
    hit = _complete(client_a)
    assert hit["provenance"]["cache_hit"] is True
    with tenant_context(tenant_a.id):
        assert not RoutingDecision.objects.filter(inference_id=hit["id"]).exists()
        assert RoutingDecision.objects.count() == 1


@pytest.mark.parametrize("change", ["update", "delete"])
def test_decisions_cannot_be_changed_or_removed(client_a, tenant_a, catalog, change):
    body = _complete(client_a)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), tenant_context(tenant_a.id):
        rows = RoutingDecision.objects.filter(inference_id=body["id"])
        rows.update(provider="vertex") if change == "update" else rows.delete()
