"""Operators' routes: `seed_catalog` keeps them and reports drift; `manage.py capability route` and
the admin API set them, recorded in the capability's history."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from capabilities import catalog_seed as seed_module
from capabilities.models import Capability
from capabilities.selectors import capability_get
from capabilities.services import catalog_seed
from routing.models import Model
from tests.capabilities.test_admin import change_url, form_data
from tests.factories import staff_login

pytestmark = pytest.mark.django_db
ROUTE = "/api/v1/admin/capabilities/{}/route"


@pytest.fixture
def admin_client(superuser) -> Client:
    client = Client()
    staff_login(client, superuser)
    return client


def test_an_admin_edit_of_the_default_model_survives_a_reseed_and_is_reported_as_drift(catalog, admin_client):
    capability = Capability.objects.get(pk="upsell.recommend")
    response = admin_client.post(
        change_url(capability.id),
        form_data(
            capability,
            default_model=Model.objects.get(name="gpt-4o-mini").pk,
            fallback_chain="claude-3-5-sonnet,deterministic",
        ),
    )
    assert response.status_code == 302, response.content[:300]
    report = catalog_seed()
    capability.refresh_from_db()
    assert capability.default_model.name == "gpt-4o-mini"
    assert list(capability.fallback_chain) == ["claude-3-5-sonnet", "deterministic"]
    drifted = {(item["capability"], item["field"]): item for item in report["drift"]}
    assert drifted[("upsell.recommend", "default_model")]["seed"] == "gemini-1.5-flash"
    assert drifted[("upsell.recommend", "default_model")]["current"] == "gpt-4o-mini"
    assert ("upsell.recommend", "fallback_chain") in drifted
    assert {item["capability"] for item in report["drift"]} == {"upsell.recommend"}
    assert catalog_seed()["drift"] == report["drift"]  # still reported, still kept


def test_the_seeds_new_values_reach_the_fields_no_operator_touched(catalog, monkeypatch):
    call_command(
        "capability",
        "route",
        "booking.conversion_hint",
        "--default",
        "gpt-4o-mini",
        "--chain",
        "claude-3-5-sonnet",
        "--reason",
        "vertex quota",
    )
    rows = [dict(row) for row in seed_module.CAPABILITIES]
    for row in rows:
        if row["id"] == "booking.conversion_hint":
            row["latency_target_ms"] = 900
    monkeypatch.setattr("capabilities.services.CAPABILITIES", rows)
    report = catalog_seed()
    capability = Capability.objects.get(pk="booking.conversion_hint")
    assert capability.latency_target_ms == 900  # untouched by the operator: the seed's new value
    assert capability.default_model.name == "gpt-4o-mini"  # the operator's
    assert {item["field"] for item in report["drift"]} == {"default_model", "fallback_chain"}


def test_a_row_from_before_the_seed_hashes_counts_its_last_seed_write_as_the_baseline(catalog, admin_user):
    capability = Capability.objects.get(pk="message.draft")
    Capability.objects.filter(pk=capability.pk).update(seeded={})
    capability.refresh_from_db()
    capability.max_output_tokens = 999
    capability._history_user = admin_user  # an admin edit, as the admin records it
    capability.save()
    report = catalog_seed()
    capability.refresh_from_db()
    assert capability.max_output_tokens == 999
    assert [(item["capability"], item["field"]) for item in report["drift"]] == [("message.draft", "max_output_tokens")]


def test_the_route_command_sets_the_route_and_the_history_says_who_and_why(catalog, capsys):
    call_command(
        "capability",
        "route",
        "review.summarize",
        "--default",
        "claude-3-5-sonnet",
        "--chain",
        "gpt-4.1,deterministic",
        "--reason",
        "pro is slow",
        "--actor",
        "ops:roya",
    )
    assert "review.summarize: claude-3-5-sonnet > gpt-4.1 > deterministic" in capsys.readouterr().out
    assert capability_get(capability_id="review.summarize").chain == ("claude-3-5-sonnet", "gpt-4.1", "deterministic")
    call_command("capability", "history", "review.summarize")
    latest = capsys.readouterr().out.splitlines()[0]
    assert '"reason": "route by ops:roya: pro is slow"' in latest and '"default_model": "claude-3-5-sonnet"' in latest
    with pytest.raises(CommandError, match="unknown models"):
        call_command("capability", "route", "review.summarize", "--default", "gpt-9", "--chain", "")
    with pytest.raises(CommandError, match="twice"):
        call_command("capability", "route", "review.summarize", "--default", "gpt-4.1", "--chain", "gpt-4.1")


def test_the_admin_api_reads_sets_and_lists_the_route_history(catalog, operator_a, client_a):
    url = ROUTE.format("staff.shift_optimize")
    assert client_a.get(url).json()["fallback_chain"] == ["claude-3-5-sonnet", "gpt-4o-mini", "deterministic"]
    response = client_a.put(
        url,
        {"default_model": "gpt-4o-mini", "fallback_chain": ["claude-3-5-sonnet"], "reason": "incident 7"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["fallback_chain"] == ["claude-3-5-sonnet", "deterministic"]
    history = client_a.get(f"{url}/history").json()
    assert history[0]["default_model"] == "gpt-4o-mini" and history[0]["reason"].endswith(": incident 7")
    assert history[0]["reason"].startswith("route by api_key:")
    assert history[-1]["change"] == "created"
    assert catalog_seed()["drift"] and Capability.objects.get(pk="staff.shift_optimize").default_model.name == (
        "gpt-4o-mini"
    )


def test_the_admin_api_refuses_bad_routes_with_the_error_envelope(catalog, operator_a, client_a):
    url = ROUTE.format("staff.shift_optimize")
    bad = client_a.put(url, {"default_model": "gpt-9", "fallback_chain": []}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request"
    assert "unknown models" in str(bad.json()["error"]["details"])
    assert client_a.put(url, {"default_model": 7, "fallback_chain": "x"}, format="json").status_code == 400
    assert client_a.get(ROUTE.format("no.such")).status_code == 404
    assert Capability.objects.get(pk="staff.shift_optimize").default_model.name == "gemini-1.5-flash"


def test_a_hotels_admin_key_cannot_change_routes(catalog, tenant_b, client_b):
    url = ROUTE.format("staff.shift_optimize")
    assert client_b.get(url).status_code == 403
    assert client_b.put(url, {"default_model": "gpt-4o-mini", "fallback_chain": []}, format="json").status_code == 403
