"""The cost dashboard and the inference browser in a real browser: Debian's chromium driven by
Playwright against gunicorn (production settings, so the Content-Security-Policy applies).

A hotel's owner logs in and reads its console (charts drawn, a record opened from the list);
platform staff read the admin's dashboard and inference browser. No policy violation may occur,
and the console must fit a phone. Screenshots go to a temporary directory, or to docs/screenshots/
with UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import User

from budgets.models import Budget
from capabilities.models import Capability
from hitl.services import reviewer_account_create
from melmastoon_ai.tenancy.context import tenant_context
from tests.e2e.conftest import running_server
from tests.e2e.test_csp_browser import RECORD_VIOLATIONS, violations
from tests.e2e.test_hitl_browser import CHROMIUM, CHROMIUM_FLAGS, LAPTOP, PASSWORD, PHONE, screenshots, sync_playwright
from tests.factories import ApiKeyFactory, TenantFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
__all__ = ["screenshots"]  # the fixture, shared with the reviewer-page browser tests


def _production_password(user: User) -> None:
    """The server runs production settings, whose hashers do not read the test settings' fast MD5."""
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])


@pytest.fixture
def hotel_with_traffic(catalog):
    tenant = TenantFactory(name="Hotel Pamir", rate_limit_per_minute=10_000)
    key = ApiKeyFactory(tenant=tenant, scopes=["ai:invoke"])
    with tenant_context(tenant.id):
        Budget.objects.create(
            tenant=tenant, feature="", period="monthly", token_limit=200_000, cost_limit_usd=Decimal("25")
        )
    _production_password(
        reviewer_account_create(tenant_id=tenant.id, username="owner", password=PASSWORD, groups=["tenant-owners"])
    )
    staff = User.objects.create_superuser("platform", "platform@example.com", PASSWORD)
    _production_password(staff)
    from django_otp.plugins.otp_static.models import StaticDevice

    device = StaticDevice.objects.create(user=staff, name="backup codes", confirmed=True)
    device.token_set.create(token="usage-code-1")
    return tenant, key


def _traffic(base_url: str, key) -> list[str]:
    """Calls of four capabilities through the running server: what the dashboards then show."""
    ids = []
    with httpx.Client(base_url=base_url, headers={"X-API-Key": key.raw}, timeout=30) as client:
        for capability in (
            "message.draft",
            "pricing.suggest",
            "upsell.recommend",
            "review.summarize",
            "pricing.suggest",
        ):
            example = Capability.objects.get(pk=capability).examples[0]
            response = client.post(
                "/api/v1/ai/complete",
                json={"capability": capability, "input": example},
                headers={"Cache-Control": "no-store"},
            )
            assert response.status_code == 200, response.text[:300]
            ids.append(response.json()["id"])
    return ids


def test_a_hotel_owner_reads_its_dashboard_and_opens_an_inference(hotel_with_traffic, screenshots):
    _, key = hotel_with_traffic
    with running_server(workers=1, SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0") as base_url:
        ids = _traffic(base_url, key)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            try:
                context = browser.new_context(viewport=LAPTOP)
                context.add_init_script(RECORD_VIOLATIONS)
                page, console = context.new_page(), []
                page.on("console", lambda message: console.append(message.text))
                page.goto(f"{base_url}/console/")
                assert "/hitl/login/" in page.url
                page.fill("#id_username", "owner")
                page.fill("#id_password", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_selector("#daily-charts svg")
                calls = page.inner_text('[data-total="calls"]')
                bar_width = page.eval_on_selector(
                    "#capability-charts svg.bars", "el => el.getBoundingClientRect().width"
                )
                capabilities = page.eval_on_selector_all(
                    "#capabilities tbody tr", "rows => rows.map(r => r.dataset.capability)"
                )
                page.screenshot(path=str(screenshots / "usage-console-dashboard.png"), full_page=True)

                page.click("nav.console-nav >> text=Inferences")
                page.wait_for_selector("table#inferences")
                listed = page.eval_on_selector_all("tr[data-inference]", "rows => rows.map(r => r.dataset.inference)")
                page.click(f'tr[data-inference="{ids[0]}"] a')
                page.wait_for_selector("#record")
                gate = page.inner_text("#gate")
                page.screenshot(path=str(screenshots / "usage-console-inference.png"), full_page=True)
                seen = violations(page, console)

                phone = browser.new_page(viewport=PHONE)
                phone.context.add_cookies(context.cookies())
                phone.goto(f"{base_url}/console/")
                phone.wait_for_selector("#daily-charts svg")
                overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                phone.screenshot(path=str(screenshots / "usage-console-phone.png"), full_page=True)
            finally:
                browser.close()
    assert calls == "5" and bar_width > 200
    assert sorted(capabilities) == ["message.draft", "pricing.suggest", "review.summarize", "upsell.recommend"]
    assert listed == list(reversed(ids))  # newest first
    assert gate.startswith("pending")  # message.draft is always reviewed
    assert seen == [] and overflow <= 0


def test_platform_staff_read_the_admin_dashboard_and_inference_browser(hotel_with_traffic, screenshots):
    _, key = hotel_with_traffic
    with running_server(workers=1, SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0") as base_url:
        ids = _traffic(base_url, key)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            try:
                context = browser.new_context(viewport=LAPTOP)
                context.add_init_script(RECORD_VIOLATIONS)
                page, console = context.new_page(), []
                page.on("console", lambda message: console.append(message.text))
                page.goto(f"{base_url}/admin/login/")
                page.fill("#id_username", "platform")
                page.fill("#id_password", PASSWORD)
                page.click("input[type=submit][value='Log in']")
                page.wait_for_selector("#id_otp_device")
                page.select_option("#id_otp_device", label="backup codes")
                page.fill("#id_otp_token", "usage-code-1")
                page.click("input[type=submit][value='Log in']")
                page.wait_for_selector("#home-panels")
                home = page.inner_text("#home-panels")
                page.screenshot(path=str(screenshots / "admin-home.png"), full_page=True)

                page.click("#home-panels >> text=Today, every hotel (UTC)")
                page.wait_for_selector("#daily-charts svg")
                page.select_option("#dashboard-filters select[name=tenant]", label="Hotel Pamir")
                page.click("#dashboard-filters button[type=submit]")
                page.wait_for_selector("#budgets svg.gauge")
                cost_bars = page.eval_on_selector_all(
                    "#capability-charts svg.bars rect.bar", "bars => bars.map(b => b.dataset.label)"
                )
                page.screenshot(path=str(screenshots / "admin-usage-dashboard.png"), full_page=True)

                page.goto(f"{base_url}/admin/capabilities/inferencerecord/{ids[0]}/change/")
                page.wait_for_selector("ol.timeline")
                page.screenshot(path=str(screenshots / "admin-inference.png"), full_page=True)
                seen = violations(page, console)
            finally:
                browser.close()
    assert "calls today" in home and "Drift alerts" in home
    assert {"message.draft", "pricing.suggest"} <= set(cost_bars)
    assert seen == []
