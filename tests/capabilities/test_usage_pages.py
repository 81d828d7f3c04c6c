"""The inference browser and the cost dashboard as pages: the admin's (platform staff, every
tenant, audited) and a hotel's /console/ (its owners and managers, its own rows only)."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
from django.test import Client

from budgets.models import Budget
from budgets.services import budget_reserve, budget_settle
from capabilities.models import Capability
from hitl.services import reviewer_account_create
from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.tenancy.models import PlatformAccessLog
from tests.capabilities.test_usage_reports import fact

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-staple-7"


def hotel_admin(tenant, username="owner", groups=("tenant-owners",)) -> Client:
    user = reviewer_account_create(tenant_id=tenant.id, username=username, password=PASSWORD, groups=list(groups))
    browser = Client()
    browser.force_login(user)
    return browser


def drafted(client) -> dict:
    example = Capability.objects.get(pk="message.draft").examples[0]
    response = client.post("/api/v1/ai/complete", {"capability": "message.draft", "input": example}, format="json")
    assert response.status_code == 200
    return response.json()


def marks(html: str, css: str) -> list[str]:
    """The data-label of each mark of one kind (bars, dots) in the page's SVG charts."""
    return re.findall(rf'<rect class="{css}[^"]*"[^>]*data-label="([^"]*)"', html)


# --- admin ----------------------------------------------------------------------------------------


def test_the_admin_dashboard_charts_every_tenants_usage_and_is_audited(admin_client, tenant_a, tenant_b):
    fact(tenant_a, capability="pricing.suggest", cost="1.500000", latency=9000)
    fact(tenant_b, capability="review.reply", cost="0.500000")
    before = PlatformAccessLog.objects.count()
    response = admin_client.get("/admin/capabilities/usagefact/", {"from": "2026-11-01", "to": "2026-11-30"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-total="cost_usd">$2.000000' in html and 'data-total="calls">2<' in html
    assert html.count("<svg") >= 7  # per day (4), per capability (2), per model (2)
    assert set(marks(html, "bar")) >= {"pricing.suggest", "review.reply"}
    # pricing.suggest took 9 s against its target: its p95 is shown over the target, in red
    assert re.search(r'<rect class="bar over"[^>]*data-label="pricing.suggest"', html)
    assert "Choose one tenant to see its budgets" in html
    assert PlatformAccessLog.objects.count() > before

    one = admin_client.get(
        "/admin/capabilities/usagefact/", {"tenant": str(tenant_b.id), "from": "2026-11-01", "to": "2026-11-30"}
    ).content.decode()
    assert 'data-total="cost_usd">$0.500000' in one and "pricing.suggest" not in marks(one, "bar")


def test_the_admin_dashboard_shows_a_tenants_budget_burn_down(
    admin_client, tenant_a, django_capture_on_commit_callbacks
):
    with tenant_context(tenant_a.id):
        Budget.objects.create(
            tenant=tenant_a, feature="", period="monthly", token_limit=1000, cost_limit_usd=Decimal("10")
        )
        reservation = budget_reserve(tenant_id=tenant_a.id, feature="", tokens=900, cost_usd=Decimal("9"))
        with django_capture_on_commit_callbacks(execute=True):  # Redis counts once the ledger commits
            budget_settle(reservation=reservation, inference_id=uuid.uuid4(), tokens=850, cost_usd=Decimal("1.5"))
    html = admin_client.get("/admin/capabilities/usagefact/", {"tenant": str(tenant_a.id)}).content.decode()
    used = dict(re.findall(r'<rect class="gauge-used (\w+)"[^>]*data-value="([0-9.]+)"', html))
    assert used == {"soft": "850.0", "ok": "1.5"}  # tokens past the 80 % soft cap; dollars well under
    forecasts = [float(value) for value in re.findall(r'<path class="forecast"[^>]*data-value="([0-9.]+)"', html)]
    assert len(forecasts) == 2 and all(value >= 1.5 for value in forecasts)  # the rate so far, to the period's end
    assert html.count('class="cap soft"') == 2 and html.count('class="cap hard"') == 2


def test_the_admin_inference_browser_lists_filters_and_shows_a_record(admin_client, client_a, tenant_a, catalog):
    body = drafted(client_a)
    other = fact(tenant_a, capability="review.reply")

    def listed(**params) -> set[str]:
        response = admin_client.get("/admin/capabilities/inferencerecord/", params)
        assert response.status_code == 200
        return set(re.findall(r"inferencerecord/([0-9a-f-]{36})/change/", response.content.decode()))

    assert listed() == {body["id"], str(other.id)}
    assert listed(capability="message.draft") == {body["id"]}
    assert listed(tenant__id__exact=str(tenant_a.id), feature="pricing") == {str(other.id)}  # from a budget
    page = admin_client.get(f"/admin/capabilities/inferencerecord/{body['id']}/change/").content.decode()
    assert 'class="timeline"' in page and "pending" in page  # the attempts and the gate
    assert "Input (redacted)" in page and body["provenance"]["input_hash"] in page


def test_the_admin_home_shows_todays_figures_and_drift_alerts(admin_client, client_a, catalog):
    drafted(client_a)
    html = admin_client.get("/admin/").content.decode()
    assert 'id="home-panels"' in html and "Drift alerts" in html
    tiles = dict(
        (what, figure)
        for figure, what in re.findall(r'<span class="figure">([^<]*)</span><span class="what">([^<]*)</span>', html)
    )
    assert tiles["calls today"] == "1" and tiles["open HITL gates"] == "1" and tiles["unacknowledged"] == "0"


def test_a_gate_in_the_admin_links_to_its_inference(admin_client, client_a, catalog):
    body = drafted(client_a)
    page = admin_client.get(f"/admin/hitl/hitlgate/{body['hitl']['gate_id']}/change/").content.decode()
    assert f"/admin/capabilities/inferencerecord/{body['id']}/change/" in page


# --- a hotel's console ---------------------------------------------------------------------------


def test_a_hotel_owner_sees_its_own_dashboard_and_inferences_only(client_a, tenant_a, tenant_b, catalog):
    mine = drafted(client_a)
    theirs = fact(tenant_b, capability="review.reply", cost="9.000000")
    browser = hotel_admin(tenant_a)
    html = browser.get("/console/").content.decode()
    assert "message.draft" in marks(html, "bar") and "review.reply" not in html and "9.000000" not in html
    listing = browser.get("/console/inferences/").content.decode()
    assert f'data-inference="{mine["id"]}"' in listing and str(theirs.id) not in listing
    page = browser.get(f"/console/inferences/{mine['id']}/")
    assert page.status_code == 200 and "pending" in page.content.decode()
    assert browser.get(f"/console/inferences/{theirs.id}/").status_code == 404


def test_the_console_pages_through_inferences_and_filters(tenant_a):
    records = [fact(tenant_a, latency=latency) for latency in range(30)]
    fact(tenant_a, outcome="degraded")
    browser = hotel_admin(tenant_a)
    first = browser.get("/console/inferences/", {"degraded": "false"}).content.decode()
    older = re.search(r'id="next-page" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = browser.get("/console/inferences/" + older).content.decode()
    shown = re.findall(r'data-inference="([^"]+)"', first) + re.findall(r'data-inference="([^"]+)"', second)
    assert sorted(shown) == sorted(str(record.id) for record in records)
    assert 'id="next-page"' not in second


def test_the_console_is_for_owners_and_managers_only(tenant_a):
    assert hotel_admin(tenant_a, "rev", groups=("reviewers",)).get("/console/").status_code == 403
    assert hotel_admin(tenant_a, "boss", groups=("managers",)).get("/console/").status_code == 200
    response = Client().get("/console/")
    assert response.status_code == 302 and "/hitl/login/" in response["Location"]
