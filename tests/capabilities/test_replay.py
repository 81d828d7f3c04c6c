"""Replay of stored inferences (seed 002) and the decision trail it pins (capabilities/replay.py)."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from budgets.models import BudgetLedgerEntry
from capabilities.models import Capability, InferenceRecord
from capabilities.replay import field_diff, replay_budget_ensure, trail_diff
from hitl.models import HitlGate
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.tenancy.models import PlatformAccessLog
from rag.models import Chunk
from routing.models import Model, RoutingDecision
from routing.providers.registry import adapter_for
from routing.selectors import REGISTRY_CACHE
from tests.factories import ApiKeyFactory, faq_ingested

pytestmark = pytest.mark.django_db
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
CAPABILITIES = [  # the 15 of the seeded catalog (tests/capabilities/test_catalog.py counts them)
    "anomaly.detect",
    "booking.conversion_hint",
    "description.generate",
    "housekeeping.route",
    "message.draft",
    "ocr.id_scan",
    "pricing.demand_forecast",
    "pricing.suggest",
    "review.summarize",
    "staff.shift_optimize",
    "stt.transcribe",
    "translation.draft",
    "tutor.answer",
    "upsell.recommend",
    "vision.photo_quality",
]


def complete(client, capability_id="pricing.suggest", payload=None, **headers):
    payload = payload if payload is not None else Capability.objects.get(pk=capability_id).examples[0]
    response = client.post(
        "/api/v1/ai/complete",
        {"capability": capability_id, "input": payload, "context": {"feature": "front-desk", "locale": "en"}},
        format="json",
        **headers,
    )
    assert response.status_code == 200, response.json()
    return response.json()


def replay(client, inference_id):
    return client.post(f"/api/v1/ai/inferences/{inference_id}/replay", format="json")


def record_of(tenant, inference_id) -> InferenceRecord:
    with tenant_context(tenant.id):
        return InferenceRecord.objects.get(pk=inference_id)


def test_the_trail_records_what_reproduces_the_answer(
    providers_from_settings, vertex_fake, client_a, tenant_a, catalog
):
    body = complete(client_a, HTTP_TRACEPARENT=TRACEPARENT)
    record = record_of(tenant_a, body["id"])
    trail = record.trail
    assert trail["trace_id"] == record.trace_id == body["provenance"]["trace_id"] == TRACE_ID
    assert trail["capability"]["version"] == record.capability_version
    assert trail["capability"]["catalog_generation"].startswith("sha256:")
    assert trail["prompt"]["id"] == record.prompt_key and trail["prompt"]["version"] == record.prompt_version
    assert trail["prompt"]["rendered_hash"].startswith("sha256:")
    assert trail["registry_generation"].startswith("sha256:")
    # the chain as evaluated: the one that answered, and the candidates after it never reached
    assert [(c["model"], c["outcome"]) for c in trail["chain"]] == [
        ("gemini-1.5-flash", "ok"),
        ("claude-3-5-sonnet", "not_reached"),
        ("gpt-4o-mini", "not_reached"),
        ("deterministic", "not_reached"),
    ]
    assert trail["chosen"] == {
        "provider": "vertex",
        "model": "gemini-1.5-flash",
        "model_version": "gemini-1.5-flash-fake",
    }
    assert body["provenance"]["model_version"] == "gemini-1.5-flash-fake"
    sent = [r for r in vertex_fake.received if ":generateContent" in r.path][-1]
    assert trail["parameters"]["temperature"] == sent.body["generationConfig"]["temperature"]
    assert trail["parameters"]["max_output_tokens"] == sent.body["generationConfig"]["maxOutputTokens"]
    assert trail["parameters"]["seed"] is None and "seed" not in sent.body["generationConfig"]
    assert set(trail["guardrails"]) == {"classifier", "lexicons", "code"}
    assert trail["conditions"]["as_of"] == timezone.now().date().isoformat()
    with tenant_context(tenant_a.id):
        decision = RoutingDecision.objects.get(inference_id=record.id)
    assert (decision.request_id, decision.trace_id) == (record.request_id, TRACE_ID)
    assert (decision.prompt_key, decision.prompt_version) == (record.prompt_key, record.prompt_version)
    assert decision.model_version == "gemini-1.5-flash-fake"
    assert decision.rendered_prompt_hash == trail["prompt"]["rendered_hash"]
    assert decision.catalog_generation == trail["capability"]["catalog_generation"]
    assert decision.registry_generation == trail["registry_generation"]
    assert decision.parameters == trail["parameters"] and decision.guardrail_versions == trail["guardrails"]
    # the provider call carried the caller's trace
    assert sent.headers["traceparent"].split("-")[1] == TRACE_ID


def test_a_replay_of_a_provider_answer_pins_the_model_and_reports_equality(
    providers_from_settings, vertex_fake, client_a, tenant_a, catalog, django_capture_on_commit_callbacks
):
    body = complete(client_a)
    with django_capture_on_commit_callbacks(execute=True):  # the budget cache learns of it on commit
        replay_budget_ensure(tenant=tenant_a)
    calls = len(vertex_fake.received)
    response = replay(client_a, body["id"])
    assert response.status_code == 200, response.json()
    report = response.json()
    assert report["original_id"] == body["id"] and report["replay_id"] != body["id"]
    assert (report["provider"], report["model"], report["model_version"]) == (
        "vertex",
        "gemini-1.5-flash",
        "gemini-1.5-flash-fake",
    )
    assert report["output_hash_equal"] is True and report["diff"] == []
    assert report["trail_diff"] == []
    sent = [r for r in vertex_fake.received[calls:] if ":generateContent" in r.path]
    assert len(sent) == 1  # the model asked again (no cache), and only it
    original_call = [r for r in vertex_fake.received[:calls] if ":generateContent" in r.path][-1]
    assert sent[0].body["contents"] == original_call.body["contents"]
    assert sent[0].body["generationConfig"]["temperature"] == original_call.body["generationConfig"]["temperature"]
    with tenant_context(tenant_a.id):
        again = InferenceRecord.objects.get(pk=report["replay_id"])
        assert again.trail["replay_of"] == body["id"] and again.provenance["replay_of"] == body["id"]
        assert again.feature == "replay"
        assert RoutingDecision.objects.get(inference_id=again.id).replay_of is not None
        topics = set(OutboxEvent.objects.filter(key=str(again.id)).values_list("topic", flat=True))
        assert topics == {"inference.completed"}  # no suggestion event
        assert not HitlGate.objects.filter(inference_id=again.id).exists()
        ledger = BudgetLedgerEntry.objects.filter(inference_id=again.id).select_related("period__budget")
        assert [entry.period.budget.feature for entry in ledger] == ["replay"]
        assert ledger[0].tokens == again.input_tokens + again.output_tokens > 0


def test_a_replay_never_answers_with_another_model(providers_from_settings, vertex_fake, client_a, tenant_a, catalog):
    body = complete(client_a)
    vertex_fake.script(status=503, times=None)
    response = replay(client_a, body["id"])
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "replay_unavailable"
    assert error["details"]["missing"][0]["model"] == "gemini-1.5-flash"
    assert error["details"]["missing"][0]["reason"] in ("error", "circuit_open")
    with tenant_context(tenant_a.id):
        assert InferenceRecord.objects.filter(tenant_id=tenant_a.id).count() == 1  # nothing half-written


def test_a_model_taken_out_of_the_registry_is_named_in_the_409(providers_from_settings, client_a, catalog):
    body = complete(client_a)
    Model.objects.filter(name="gemini-1.5-flash").update(enabled=False)
    REGISTRY_CACHE.invalidate()
    response = replay(client_a, body["id"])
    assert response.status_code == 409
    assert response.json()["error"]["details"]["missing"] == [
        {"what": "model", "model": "gemini-1.5-flash", "provider": "vertex", "reason": "not_configured"}
    ]


def test_changed_passages_make_the_replay_unavailable(client_a, tenant_a, catalog):
    faq_ingested(
        tenant_a,
        [{"question": "When is breakfast served?", "answer": "From 7 to 10 in the garden room.", "locale": "en"}],
    )
    body = complete(client_a, "tutor.answer", {"question": "When is breakfast?", "locale": "en"})
    assert replay(client_a, body["id"]).json()["output_hash_equal"] is True
    with tenant_context(tenant_a.id):
        chunk = Chunk.objects.get(tenant_id=tenant_a.id)
        Chunk.objects.filter(pk=chunk.pk).update(text="From 6:30 to 10.")  # the passage's content changed
    response = replay(client_a, body["id"])
    assert response.status_code == 409
    assert response.json()["error"]["details"]["missing"] == [
        {"what": "passages", "removed": [], "changed": [str(chunk.pk)]}
    ]
    faq_ingested(
        tenant_a,
        [  # a new version of the FAQ replaces the chunk: the passage is gone
            {"question": "When is breakfast served?", "answer": "From 6:30 to 10.", "locale": "en"}
        ],
    )
    assert replay(client_a, body["id"]).json()["error"]["details"]["missing"] == [
        {"what": "passages", "removed": [str(chunk.pk)], "changed": []}
    ]


@pytest.fixture
def without_in_process_models(settings):
    settings.PROVIDER_ADAPTERS = {
        kind: path for kind, path in settings.PROVIDER_ADAPTERS.items() if kind != "in_process"
    }
    adapter_for.cache_clear()
    yield
    adapter_for.cache_clear()  # before `settings` puts the in-process models back


@pytest.mark.parametrize("capability_id", CAPABILITIES)
def test_deterministic_answers_replay_bit_identical_another_day(
    capability_id, client_a, tenant_a, catalog, monkeypatch, without_in_process_models
):
    """No provider is configured here: every capability answers with its deterministic fallback.
    The replay runs a month later and must still give the same bytes (the fallback's `today` is
    pinned by the trail). The in-process models are switched off too: the route solver's search is
    bounded by time, so its answer is not bit-identical from run to run."""
    body = complete(client_a, capability_id)
    assert body["provenance"]["provider"] == "deterministic"
    later = timezone.now() + dt.timedelta(days=31)
    monkeypatch.setattr(timezone, "now", lambda: later)
    report = replay(client_a, body["id"]).json()
    assert report["provider"] == "deterministic"
    assert report["output_hash_equal"] is True, report["diff"]
    assert report["replay_output_hash"] == record_of(tenant_a, body["id"]).output_hash
    assert report["diff"] == [] and report["trail_diff"] == []


def test_a_cache_hit_replays_the_route_of_the_answer_it_repeated(
    client_a, tenant_a, catalog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = complete(client_a, "upsell.recommend")
    hit = complete(client_a, "upsell.recommend")
    assert hit["provenance"]["cache_hit"] is True
    report = replay(client_a, hit["id"]).json()
    assert (report["original_id"], report["routed_id"]) == (hit["id"], first["id"])
    assert report["output_hash_equal"] is True


def test_replay_needs_ai_admin_and_is_tenant_scoped(client_a, client_b, client_for, tenant_a, catalog):
    body = complete(client_a)
    assert replay(client_b, body["id"]).status_code == 404  # another hotel: as if it did not exist
    invoker = client_for(ApiKeyFactory(tenant=tenant_a, scopes=["ai:invoke"]).raw)
    assert replay(invoker, body["id"]).status_code == 403


def test_the_platform_operator_replays_any_tenant_audited(client_b, tenant_b, operator_a, client_a, catalog):
    body = complete(client_b)
    before = PlatformAccessLog.objects.count()
    response = replay(client_a, body["id"])
    assert response.status_code == 200, response.json()
    assert response.json()["output_hash_equal"] is True
    log = PlatformAccessLog.objects.order_by("-at").first()
    assert PlatformAccessLog.objects.count() == before + 1 and body["id"] in log.reason
    with tenant_context(tenant_b.id):  # the replay is the owner's inference, charged to its replay budget
        assert InferenceRecord.objects.filter(tenant_id=tenant_b.id, pk=response.json()["replay_id"]).exists()


def test_the_replay_command_prints_the_report(client_a, catalog):
    body = complete(client_a)
    out = StringIO()
    call_command("replay", body["id"], "--actor", "oncall", stdout=out)
    report = json.loads(out.getvalue())
    assert report["original_id"] == body["id"] and report["output_hash_equal"] is True
    assert PlatformAccessLog.objects.filter(actor="cli:oncall").exists()
    with pytest.raises(CommandError, match="no inference"):
        call_command("replay", "00000000-0000-0000-0000-000000000000", stdout=StringIO())


def test_field_and_trail_diffs_name_what_changed():
    original = {"price": {"amount": 120, "currency": "EUR"}, "reasons": ["weekend"], "note": "x"}
    replayed = {"price": {"amount": 125, "currency": "EUR"}, "reasons": ["weekend", "event"]}
    assert field_diff(original, replayed) == [
        {"path": "$.note", "original": "x"},
        {"path": "$.price.amount", "original": 120, "replay": 125},
        {"path": "$.reasons[1]", "replay": "event"},
    ]
    before = {"chosen": {"provider": "vertex", "model": "gemini-1.5-flash", "model_version": "001"}}
    after = {"chosen": {"provider": "vertex", "model": "gemini-1.5-flash", "model_version": "002"}}
    assert trail_diff(before, after) == [{"field": "chosen.model_version", "original": "001", "replay": "002"}]
