"""The capability admin: a validating form, searchable changelist, history of who changed what."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from capabilities.admin import CapabilityForm
from capabilities.models import Capability
from capabilities.selectors import capability_get
from melmastoon_ai.tenancy.models import PlatformAccessLog
from tests.factories import staff_login

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/capabilities/capability/"


def change_url(capability_id: str) -> str:
    return f"{CHANGELIST}{capability_id}/change/"


def form_data(capability: Capability, **changes) -> dict:
    """What the change form posts for a capability, with `changes` applied."""
    data = {
        "id": capability.id,
        "version": capability.version,
        "description": capability.description,
        "prompt": capability.prompt_id or "",
        "default_model": capability.default_model_id,
        "offline_model": capability.offline_model_id or "",
        "auxiliary_models": ",".join(capability.auxiliary_models),
        "fallback_chain": ",".join(capability.fallback_chain),
        "hitl_rule": capability.hitl_rule,
        "latency_target_ms": capability.latency_target_ms,
        "cost_class": capability.cost_class,
        "cache_ttl_seconds": capability.cache_ttl_seconds,
        "allowed_providers": ",".join(capability.allowed_providers),
        "input_schema": json.dumps(capability.input_schema),
        "output_schema": json.dumps(capability.output_schema),
        "examples": json.dumps(capability.examples),
        "output_type": capability.output_type,
        "eval_suite_key": capability.eval_suite_key,
        "max_output_tokens": capability.max_output_tokens,
        "phase": capability.phase,
    }
    if capability.uses_rag:
        data["uses_rag"] = "on"
    if capability.enabled:
        data["enabled"] = "on"
    return data | changes


def form_for(capability: Capability, **changes) -> CapabilityForm:
    return CapabilityForm(data=form_data(capability, **changes), instance=capability)


@pytest.fixture
def admin_client(superuser) -> Client:
    client = Client()
    staff_login(client, superuser)
    return client


@pytest.fixture
def upsell(catalog) -> Capability:
    return Capability.objects.get(pk="upsell.recommend")


# --- the form -----------------------------------------------------------------------------------


def test_the_form_accepts_the_capability_as_seeded(upsell):
    form = form_for(upsell)
    assert form.is_valid(), form.errors


@pytest.mark.parametrize("chain", ["gpt-4o-mini", "deterministic,gpt-4o-mini"])
def test_the_form_refuses_a_fallback_chain_that_does_not_end_in_deterministic(upsell, chain):
    form = form_for(upsell, fallback_chain=chain)
    assert not form.is_valid()
    assert "the fallback chain must end in 'deterministic'" in form.non_field_errors()


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"fallback_chain": "no-such-model,deterministic"}, "unknown models: ['no-such-model']"),
        ({"hitl_rule": "sometimes"}, "not a HITL rule"),
        ({"examples": json.dumps([{"nonsense": True}])}, "example 0 does not validate against input_schema"),
        ({"allowed_providers": "vertex"}, "allowed_providers must include 'deterministic'"),
    ],
)
def test_the_form_refuses_what_the_pipeline_could_not_serve(upsell, change, problem):
    form = form_for(upsell, **change)
    assert not form.is_valid()
    assert any(problem in error for error in form.non_field_errors()), form.non_field_errors()


@pytest.mark.parametrize("version, accepted", [("1.0.0", False), ("0.9.0", False), ("1.0.1", True), ("2.0.0", True)])
def test_a_schema_change_needs_a_higher_version(upsell, version, accepted):
    assert upsell.version == "1.0.0"
    schema = dict(upsell.output_schema, description="changed in admin")
    form = form_for(upsell, output_schema=json.dumps(schema), version=version)
    assert form.is_valid() is accepted, form.errors
    if not accepted:
        assert "Changing a schema needs a higher capability version." in form.non_field_errors()


def test_a_version_that_is_not_semver_is_refused_by_the_form(upsell):
    schema = dict(upsell.output_schema, description="changed in admin")
    form = form_for(upsell, output_schema=json.dumps(schema), version="two")
    assert not form.is_valid()
    assert "version" in form.errors


def test_other_fields_change_without_a_new_version(upsell):
    form = form_for(upsell, cache_ttl_seconds=60, description="shorter cache")
    assert form.is_valid(), form.errors


# --- the pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, expected, absent",
    [
        ("", "upsell.recommend", None),
        ("?q=pricing", "pricing.suggest", "upsell.recommend"),
        ("?phase__exact=0&enabled__exact=1", "pricing.suggest", None),
        ("?hitl_rule=always", "message.draft", "pricing.suggest"),
    ],
)
def test_the_changelist_renders_with_search_and_filters(admin_client, catalog, query, expected, absent):
    response = admin_client.get(CHANGELIST + query)
    assert response.status_code == 200
    page = response.content.decode()
    assert expected in page
    if absent:
        assert absent not in page


def test_the_change_page_shows_the_schemas_and_the_chain(admin_client, upsell):
    response = admin_client.get(change_url("upsell.recommend"))
    assert response.status_code == 200
    assert "gemini-1.5-flash" in response.content.decode()
    assert "&quot;input&quot;" in response.content.decode()


def test_a_chain_not_ending_in_deterministic_is_refused_on_the_page_and_nothing_changes(admin_client, upsell):
    history, chain = upsell.history.count(), list(upsell.fallback_chain)
    response = admin_client.post(change_url(upsell.id), form_data(upsell, fallback_chain="gpt-4o-mini"))
    assert response.status_code == 200
    assert "must end in &#x27;deterministic&#x27;" in response.content.decode()
    assert Capability.objects.get(pk=upsell.id).fallback_chain == chain
    assert upsell.history.count() == history


def test_an_admin_change_is_saved_with_history_naming_the_user(
    admin_client, superuser, upsell, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(change_url(upsell.id), form_data(upsell, cache_ttl_seconds=60))
    assert response.status_code == 302
    assert Capability.objects.get(pk=upsell.id).cache_ttl_seconds == 60
    latest = Capability.history.filter(id=upsell.id).first()
    assert (latest.history_user, latest.history_type, latest.cache_ttl_seconds) == (superuser, "~", 60)
    assert latest.prev_record.cache_ttl_seconds == 1800
    assert capability_get(capability_id=upsell.id).cache_ttl_seconds == 60


def test_the_capability_id_cannot_be_changed_into_a_copy(admin_client, upsell):
    response = admin_client.post(change_url(upsell.id), form_data(upsell, id="upsell.copy"))
    assert response.status_code == 302
    assert not Capability.objects.filter(pk="upsell.copy").exists()
    assert Capability.objects.filter(pk=upsell.id).exists()


def test_the_history_page_lists_the_change(admin_client, superuser, upsell):
    admin_client.post(change_url(upsell.id), form_data(upsell, description="for the history page"))
    response = admin_client.get(f"{CHANGELIST}{upsell.id}/history/")
    assert response.status_code == 200
    assert superuser.username in response.content.decode()


def test_an_admin_page_view_is_written_to_the_platform_access_log(admin_client, upsell):
    before = PlatformAccessLog.objects.count()
    assert admin_client.get(change_url(upsell.id)).status_code == 200
    entry = PlatformAccessLog.objects.order_by("-id").first()
    assert PlatformAccessLog.objects.count() == before + 1
    assert (entry.actor, entry.reason) == ("admin:admin", f"GET {change_url(upsell.id)}")
