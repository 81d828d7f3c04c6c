"""The reviewer pages (/hitl/): login, queue, gate page, decisions; guardian grants and RLS scoping."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from capabilities.models import Capability
from hitl.models import HitlDecision, HitlGate
from hitl.services import hitl_sweep, reviewer_account_create
from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.tenancy.context import platform_access, tenant_context
from melmastoon_ai.tenancy.models import TenantMembership
from tests.factories import staff_login

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-staple-7"


def complete(client, capability_id, payload=None):
    payload = payload or Capability.objects.get(pk=capability_id).examples[0]
    response = client.post("/api/v1/ai/complete", {"capability": capability_id, "input": payload}, format="json")
    assert response.status_code == 200, response.content[:300]
    return response.json()


def reviewer(tenant, username, groups=("reviewers",)) -> Client:
    user = reviewer_account_create(tenant_id=tenant.id, username=username, password=PASSWORD, groups=list(groups))
    browser = Client()
    browser.force_login(user)
    return browser


def message_gate(client, locale="en"):
    example = dict(Capability.objects.get(pk="message.draft").examples[0], locale=locale)
    body = complete(client, "message.draft", example)
    return body["hitl"]["gate_id"], body


def edit_form(response, /, **changes) -> dict:
    """The decision form as the page posts it: strings as typed, other fields as JSON."""
    output = dict(response["output"], **changes)
    return {f"output.{name}": value if isinstance(value, str) else json.dumps(value) for name, value in output.items()}


# --- accounts and login ---------------------------------------------------------------------------


def test_reviewer_accounts_belong_to_one_tenant_and_known_groups(tenant_a):
    user = reviewer_account_create(
        tenant_id=tenant_a.id, username="rana", password=PASSWORD, groups=["reviewers", "managers"]
    )
    assert not user.is_staff and user.check_password(PASSWORD)
    assert sorted(user.groups.values_list("name", flat=True)) == [f"{tenant_a.id}:managers", f"{tenant_a.id}:reviewers"]
    with tenant_context(tenant_a.id):
        assert TenantMembership.objects.get(user=user).tenant_id == tenant_a.id
    with pytest.raises(ApplicationError, match="Unknown reviewer groups"):
        reviewer_account_create(tenant_id=tenant_a.id, username="x", password=PASSWORD, groups=["admins"])
    with pytest.raises(ApplicationError, match="taken"):
        reviewer_account_create(tenant_id=tenant_a.id, username="rana", password=PASSWORD, groups=["reviewers"])
    with pytest.raises(ApplicationError, match=r"too common|too short"):
        reviewer_account_create(tenant_id=tenant_a.id, username="y", password="password", groups=["reviewers"])


def test_create_reviewer_command_never_prints_the_password(tenant_a, monkeypatch, capsys):
    monkeypatch.setenv("REVIEWER_PASSWORD", PASSWORD)
    call_command(
        "create_reviewer", "--tenant", str(tenant_a.id), "--username", "omid", "--groups", "reviewers,duty-managers"
    )
    out = capsys.readouterr().out
    assert "omid" in out and "duty-managers" in out and PASSWORD not in out
    with pytest.raises(CommandError, match="uuid"):
        call_command("create_reviewer", "--tenant", "nope", "--username", "z")


def test_login_takes_a_reviewer_to_the_queue_and_refuses_others(tenant_a, staff_user):
    reviewer_account_create(tenant_id=tenant_a.id, username="leila", password=PASSWORD, groups=["reviewers"])
    browser = Client()
    assert browser.get("/hitl/").status_code == 302  # to the login page
    wrong = browser.post("/hitl/login/", {"username": "leila", "password": "nope"})
    assert wrong.status_code == 200 and b"correct username and password" in wrong.content
    ok = browser.post("/hitl/login/", {"username": "leila", "password": PASSWORD})
    assert (ok.status_code, ok["Location"]) == (302, "/hitl/")
    assert browser.get("/hitl/").status_code == 200
    staff_user.set_password(PASSWORD)
    staff_user.save()
    platform = Client().post("/hitl/login/", {"username": staff_user.username, "password": PASSWORD})
    assert platform.status_code == 200 and b"not a reviewer account" in platform.content


def test_a_logged_in_account_without_a_tenant_gets_403(staff_user):
    browser = Client()
    browser.force_login(staff_user)
    assert browser.get("/hitl/").status_code == 403


# --- the queue ---------------------------------------------------------------------------------------


def test_the_queue_shows_granted_gates_by_sla_with_filters(client_a, tenant_a, catalog):
    first, _ = message_gate(client_a)
    price = complete(
        client_a,
        "pricing.suggest",
        {
            "bar": {"amount": 100, "currency": "EUR"},
            "occupancy_pct": 97,
            "stay_date": "2027-03-14",
            "lead_time_days": 2,
        },
    )["hitl"]["gate_id"]
    browser = reviewer(tenant_a, "sara")
    page = browser.get("/hitl/").content.decode()
    gate_ids = re.findall(r'data-gate="([0-9a-f-]+)"', page)
    # message.draft (30 min SLA) before pricing.suggest (120 min), both granted to "reviewers"
    assert gate_ids == [first, price]
    assert re.search(r"(29|30) min left", page)
    only_pricing = browser.get("/hitl/?capability=pricing.suggest").content.decode()
    assert re.findall(r'data-gate="([0-9a-f-]+)"', only_pricing) == [price]
    client_a.post(f"/api/v1/ai/hitl/gates/{first}/decision", {"decision": "approve"}, format="json")
    assert re.findall(r'data-gate="([0-9a-f-]+)"', browser.get("/hitl/").content.decode()) == [price]
    approved = browser.get("/hitl/?status=approved").content.decode()
    assert re.findall(r'data-gate="([0-9a-f-]+)"', approved) == [first]


def test_a_group_sees_only_the_gates_given_to_it_and_escalation_adds_the_duty_managers(client_a, tenant_a, catalog):
    gate_id, _ = message_gate(client_a)
    managers = reviewer(tenant_a, "mina", groups=["managers"])
    duty = reviewer(tenant_a, "dara", groups=["duty-managers"])
    assert gate_id not in managers.get("/hitl/").content.decode()
    assert managers.get(f"/hitl/gates/{gate_id}/").status_code == 404
    assert duty.get(f"/hitl/gates/{gate_id}/").status_code == 404
    with tenant_context(tenant_a.id):
        gate = HitlGate.objects.get(pk=gate_id)
    with platform_access(actor="test", reason="sweep"):
        hitl_sweep(now=gate.opened_at + dt.timedelta(minutes=25))
    assert duty.get(f"/hitl/gates/{gate_id}/").status_code == 200
    assert gate_id in duty.get("/hitl/").content.decode()


def test_another_tenants_gate_is_404_on_the_pages(client_a, tenant_b, catalog):
    gate_id, _ = message_gate(client_a)
    other = reviewer(tenant_b, "bashir")
    assert other.get(f"/hitl/gates/{gate_id}/").status_code == 404
    refused = other.post(f"/hitl/gates/{gate_id}/", {"decision": "approve"})
    assert refused.status_code == 404
    assert gate_id not in other.get("/hitl/?status=all").content.decode()


# --- the gate page and decisions ---------------------------------------------------------------------


def test_the_gate_page_shows_redacted_input_draft_and_provenance_right_to_left(client_a, tenant_a, catalog):
    example = dict(
        Capability.objects.get(pk="message.draft").examples[0],
        locale="ar",
        guest_name="Layla Haddad",
        contact_phone="+44 20 7946 0958",
    )
    body = complete(client_a, "message.draft", example)
    page = reviewer(tenant_a, "noor").get(f"/hitl/gates/{body['hitl']['gate_id']}/").content.decode()
    assert "+44 20 7946 0958" not in page  # the input is shown as stored: redacted
    assert body["provenance"]["model"] in page and body["id"] in page
    assert re.search(r'<div class="text" dir="rtl" lang="ar">', page)
    assert re.search(r'<textarea id="f-body"[^>]*dir="rtl" lang="ar"', page)


def test_an_edit_saved_from_the_page_is_validated_decided_once_and_emitted(client_a, tenant_a, catalog):
    gate_id, body = message_gate(client_a)
    browser = reviewer(tenant_a, "hamid")
    bad = browser.post(f"/hitl/gates/{gate_id}/", edit_form(body, subject="") | {"decision": "edit"})
    assert bad.status_code == 422 and b"nothing was saved" in bad.content
    unreadable = browser.post(
        f"/hitl/gates/{gate_id}/", edit_form(body) | {"decision": "edit", "output.notes": "[not json"}
    )
    assert unreadable.status_code == 422 and b"not a valid json" in unreadable.content
    with tenant_context(tenant_a.id):
        assert HitlGate.objects.get(pk=gate_id).status == "pending"
        assert not HitlDecision.objects.filter(gate_id=gate_id).exists()
    new_body = "Dear guest, your room is ready from 14:00. Reception is open all night."
    saved = browser.post(
        f"/hitl/gates/{gate_id}/", edit_form(body, body=new_body) | {"decision": "edit", "comment": "warmer"}
    )
    assert (saved.status_code, saved["Location"]) == (302, f"/hitl/gates/{gate_id}/")
    with tenant_context(tenant_a.id):
        decision = HitlDecision.objects.get(gate_id=gate_id)
        event = OutboxEvent.objects.get(topic="hitl.decided", key=gate_id)
        assert HitlGate.objects.get(pk=gate_id).status == "edited"
    assert decision.reviewer == "user:hamid" and decision.edited_output["body"] == new_body
    assert event.payload["decision_id"] == str(decision.id)
    again = browser.post(f"/hitl/gates/{gate_id}/", {"decision": "reject"})
    assert again.status_code == 409
    shown = browser.get(f"/hitl/gates/{gate_id}/").content.decode()
    assert str(decision.id) in shown and 'id="decision-form"' not in shown


def test_a_deeply_nested_json_field_is_refused_on_its_field_not_a_500(client_a, tenant_a, catalog):
    gate_id, body = message_gate(client_a)
    browser = reviewer(tenant_a, "nasrin")
    deep = "[" * 5000 + "]" * 5000
    response = browser.post(f"/hitl/gates/{gate_id}/", edit_form(body) | {"decision": "edit", "output.notes": deep})
    assert response.status_code == 422 and b"nested deeper than" in response.content
    with tenant_context(tenant_a.id):
        assert HitlGate.objects.get(pk=gate_id).status == "pending"


@pytest.mark.parametrize("number", ["1e400", "-1e999", "nan", "inf"])
def test_a_number_that_is_not_finite_is_refused_on_its_field_not_a_500(client_a, tenant_a, catalog, number):
    body = complete(
        client_a,
        "pricing.suggest",
        {
            "bar": {"amount": 100, "currency": "EUR"},
            "occupancy_pct": 97,
            "stay_date": "2027-03-14",
            "lead_time_days": 2,
        },
    )
    browser = reviewer(tenant_a, "omid")
    response = browser.post(
        f"/hitl/gates/{body['hitl']['gate_id']}/", edit_form(body, deviation_pct=number) | {"decision": "edit"}
    )
    assert response.status_code == 422 and b"not a valid number" in response.content
    with tenant_context(tenant_a.id):
        assert HitlGate.objects.get(pk=body["hitl"]["gate_id"]).status == "pending"


def test_an_unchanged_edit_is_an_approval_and_reject_keeps_the_comment(client_a, tenant_a, catalog):
    browser = reviewer(tenant_a, "farid")
    unchanged, body = message_gate(client_a)
    browser.post(f"/hitl/gates/{unchanged}/", edit_form(body) | {"decision": "edit"})
    rejected, _ = message_gate(client_a)
    browser.post(f"/hitl/gates/{rejected}/", {"decision": "reject", "comment": "wrong check-in time"})
    with tenant_context(tenant_a.id):
        assert HitlGate.objects.get(pk=unchanged).status == "approved"
        assert HitlDecision.objects.get(gate_id=unchanged).edited_output is None
        assert HitlDecision.objects.get(gate_id=rejected).comment == "wrong check-in time"
    assert browser.post(f"/hitl/gates/{rejected}/", {"decision": "maybe"}).status_code in (400, 409)


def test_view_only_permission_cannot_decide(client_a, tenant_a, catalog):
    from guardian.shortcuts import assign_perm, remove_perm

    from hitl.permissions import DECIDE, tenant_group

    gate_id, _ = message_gate(client_a)
    browser = reviewer(tenant_a, "zahra")
    with tenant_context(tenant_a.id):
        remove_perm(DECIDE, tenant_group(tenant_id=tenant_a.id, group="reviewers"), HitlGate.objects.get(pk=gate_id))
    page = browser.get(f"/hitl/gates/{gate_id}/").content.decode()
    assert 'id="decision-form"' not in page
    assert browser.post(f"/hitl/gates/{gate_id}/", {"decision": "approve"}).status_code == 403
    with tenant_context(tenant_a.id):
        assign_perm(DECIDE, tenant_group(tenant_id=tenant_a.id, group="reviewers"), HitlGate.objects.get(pk=gate_id))
    assert browser.post(f"/hitl/gates/{gate_id}/", {"decision": "approve"}).status_code == 302


def test_an_expired_gate_cannot_be_decided_from_the_page(client_a, tenant_a, catalog):
    gate_id, _ = message_gate(client_a)
    with tenant_context(tenant_a.id):
        gate = HitlGate.objects.get(pk=gate_id)
    with platform_access(actor="test", reason="sweep"):
        hitl_sweep(now=gate.opened_at + dt.timedelta(minutes=31))
    browser = reviewer(tenant_a, "kaveh")
    assert 'id="decision-form"' not in browser.get(f"/hitl/gates/{gate_id}/").content.decode()
    assert browser.post(f"/hitl/gates/{gate_id}/", {"decision": "approve"}).status_code == 409


def test_platform_admins_see_every_tenants_gate_and_its_decision_through_the_audited_path(
    client_a, client_b, tenant_a, superuser, catalog
):
    from melmastoon_ai.tenancy.models import PlatformAccessLog

    gate_a, _ = message_gate(client_a)
    gate_b, _ = message_gate(client_b)
    decided = client_a.post(f"/api/v1/ai/hitl/gates/{gate_a}/decision", {"decision": "approve"}, format="json")
    admin = Client()
    staff_login(admin, superuser)
    listing = admin.get("/admin/hitl/hitlgate/").content.decode()
    assert gate_a in listing and gate_b in listing
    page = admin.get(f"/admin/hitl/hitlgate/{gate_a}/change/").content.decode()
    assert decided.json()["decision"]["decision_id"] in page
    with platform_access(actor="test", reason="read the audit log"):
        assert PlatformAccessLog.objects.filter(actor=f"admin:{superuser.username}").exists()


def test_a_gate_assigned_to_one_reviewer_reaches_them_outside_their_group(client_a, tenant_a, tenant_b, catalog):
    gate_id, _ = message_gate(client_a)
    other_gate, _ = message_gate(client_a)
    lead = reviewer(tenant_a, "parwin")
    manager = reviewer(tenant_a, "jamal", groups=["managers"])
    reviewer(tenant_b, "outsider")
    assert manager.get(f"/hitl/gates/{gate_id}/").status_code == 404
    assert lead.post(f"/hitl/gates/{gate_id}/", {"assignee": "outsider"}).status_code == 400
    assert manager.post(f"/hitl/gates/{gate_id}/", {"assignee": "jamal"}).status_code == 404  # cannot even see it
    assert lead.post(f"/hitl/gates/{gate_id}/", {"assignee": "jamal"}).status_code == 302
    with tenant_context(tenant_a.id):
        assert HitlGate.objects.get(pk=gate_id).assignee.username == "jamal"
        assert OutboxEvent.objects.get(topic="hitl.assigned", key=gate_id).payload["by"] == "parwin"
    assert client_a.get(f"/api/v1/ai/hitl/gates/{gate_id}").json()["assignee"] == "jamal"
    mine = manager.get("/hitl/?mine=1").content.decode()
    assert re.findall(r'data-gate="([0-9a-f-]+)"', mine) == [gate_id]
    assert re.findall(r'data-gate="([0-9a-f-]+)"', lead.get("/hitl/?mine=1").content.decode()) == []
    assert other_gate in lead.get("/hitl/").content.decode()
    assert manager.post(f"/hitl/gates/{gate_id}/", {"decision": "approve"}).status_code == 302
    assert lead.post(f"/hitl/gates/{gate_id}/", {"assignee": "parwin"}).status_code == 409  # decided


def test_a_gate_is_granted_to_its_group_exactly_once_as_guardian_reads_it(client_a, tenant_a, catalog):
    from guardian.shortcuts import get_group_perms

    from hitl.models import HitlGateGroupObjectPermission
    from hitl.permissions import gate_grant, tenant_group

    gate_id, _ = message_gate(client_a)
    with tenant_context(tenant_a.id):
        gate = HitlGate.objects.get(pk=gate_id)
        gate_grant(gate=gate, group="reviewers")  # a second grant changes nothing
        reviewers = tenant_group(tenant_id=tenant_a.id, group="reviewers")
        assert sorted(get_group_perms(reviewers, gate)) == ["decide_hitlgate", "view_hitlgate"]
        assert HitlGateGroupObjectPermission.objects.filter(content_object=gate).count() == 2
        assert get_group_perms(tenant_group(tenant_id=tenant_a.id, group="managers"), gate).count() == 0
