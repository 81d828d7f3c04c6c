"""The Content-Security-Policy in a real browser: chromium loads the reviewer pages, the admin and
/api/docs/ from gunicorn (production settings) and no policy violation may occur, while the pages
still work: the gate page's editor script runs, the admin logs in, Swagger UI renders the schema."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import User

from tests.e2e.conftest import running_server
from tests.e2e.test_hitl_browser import CHROMIUM, CHROMIUM_FLAGS, PASSWORD, _open_gates, hotel, log_in, sync_playwright
from tests.factories import TenantFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
__all__ = ["hotel"]  # the fixture, shared with the reviewer-page browser tests
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline")));
"""


def violations(page, console: list[str]) -> list[str]:
    return page.evaluate("window.__csp") + [line for line in console if "Content Security Policy" in line]


def test_no_page_violates_the_policy_and_every_page_still_works(hotel, tmp_path):
    _, key = hotel
    leaving = TenantFactory(name="Hotel Leaving")  # offboarded through the admin below
    admin = User.objects.create_superuser("platform", "platform@example.com", PASSWORD)
    hasher = PBKDF2PasswordHasher()
    admin.password = hasher.encode(PASSWORD, hasher.salt())
    admin.save(update_fields=["password"])
    from django_otp.plugins.otp_static.models import StaticDevice

    backup = StaticDevice.objects.create(user=admin, name="backup codes", confirmed=True)
    backup.token_set.create(token="browser-code-1")  # the admin's second factor (ADMIN_REQUIRE_OTP)
    with running_server(
        workers=1, SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0", PRIVACY_OFFBOARDING_EXPORT_DIR=str(tmp_path)
    ) as base_url:
        gate_id = _open_gates(base_url, key)["message"]["hitl"]["gate_id"]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            try:
                context = browser.new_context()
                context.add_init_script(RECORD_VIOLATIONS)
                page, console = context.new_page(), []
                page.on("console", lambda message: console.append(message.text))
                seen = {}

                page.goto(f"{base_url}/hitl/login/?next=/hitl/gates/{gate_id}/")
                log_in(page)
                page.wait_for_selector("#decision-form")
                page.fill("#f-notes", "[not json")  # the editor script (a static file) refuses it
                page.click("button[value=edit]")
                assert "not valid JSON" in page.inner_text("#err-notes")
                seen["gate"] = violations(page, console)
                page.goto(f"{base_url}/hitl/")
                page.wait_for_selector("table.queue")
                seen["queue"] = violations(page, console)

                page.goto(f"{base_url}/admin/login/")
                page.fill("#id_username", "platform")
                page.fill("#id_password", PASSWORD)
                page.click("input[type=submit][value='Log in']")
                page.wait_for_selector("#id_otp_device")  # the password held: now the second factor
                page.select_option("#id_otp_device", label="backup codes")
                page.fill("#id_otp_token", "browser-code-1")
                page.click("input[type=submit][value='Log in']")
                page.wait_for_selector("#site-name")
                page.goto(f"{base_url}/admin/capabilities/capability/pricing.suggest/change/")
                page.wait_for_selector("#capability_form")
                assert page.eval_on_selector("#header", "el => getComputedStyle(el).display") != "inline"  # CSS loaded
                seen["admin"] = violations(page, console)

                # the pages this wave added to the admin: the embedding chain, webhooks, offboarding
                for path in ("routing/embeddingchain/", "webhooks/webhookendpoint/", "webhooks/webhookdelivery/"):
                    page.goto(f"{base_url}/admin/{path}")
                    page.wait_for_selector("#changelist")
                page.goto(f"{base_url}/admin/tenancy/tenant/")
                page.check(f"input[name=_selected_action][value='{leaving.id}']")
                page.select_option("select[name=action]", "offboard_tenants")
                page.click("button[name=index]")
                page.wait_for_selector("#id_confirmation")  # the page of what would be deleted
                assert "Hotel Leaving" in page.inner_text("#content")
                page.fill("#id_confirmation", "OFFBOARD")
                page.click("input[type=submit][value^='Offboard']")
                assert "rows deleted after export" in page.inner_text(".messagelist")
                assert (tmp_path / f"tenant-{leaving.id}.jsonl").exists()
                seen["admin pages of this wave"] = violations(page, console)

                page.goto(f"{base_url}/api/docs/")
                page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
                assert "melmastoon-ai" in page.inner_text(".swagger-ui .info .title")
                seen["docs"] = violations(page, console)
            finally:
                browser.close()
    assert seen == {"gate": [], "queue": [], "admin": [], "admin pages of this wave": [], "docs": []}
