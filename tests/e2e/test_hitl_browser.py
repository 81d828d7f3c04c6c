"""The reviewer pages in a real browser: Debian's chromium driven by Playwright against gunicorn.

A reviewer logs in, opens the queue, edits a draft (the page refuses an invalid edit before
sending it), approves it; the gate's state and the emitted event are then read from the database.
The page must also fit a phone-sized screen with an Arabic draft laid out right to left.

Screenshots go to a temporary directory, or to docs/screenshots/ with UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from capabilities.models import Capability
from hitl.models import HitlDecision, HitlGate
from hitl.services import reviewer_account_create
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.tenancy.context import tenant_context
from tests.e2e.conftest import ROOT, running_server
from tests.factories import ApiKeyFactory, TenantFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "tea-and-saffron-at-noon-42"
LAPTOP = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"chromium is missing at {CHROMIUM}: .ci/run installs Debian's chromium package")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright


@pytest.fixture
def screenshots(tmp_path) -> Path:
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        target = ROOT / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        return target
    return tmp_path


@pytest.fixture
def hotel(catalog):
    """A hotel with three gates waiting (two guest messages, one in Arabic, and a price) and a reviewer."""
    tenant = TenantFactory(name="Hotel Pamir", rate_limit_per_minute=10_000)
    key = ApiKeyFactory(tenant=tenant, scopes=["ai:invoke"])
    user = reviewer_account_create(tenant_id=tenant.id, username="roya", password=PASSWORD, groups=["reviewers"])
    # The server runs production settings, whose hashers do not read the test settings' fast MD5.
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])
    return tenant, key


def _open_gates(base_url: str, key) -> dict[str, dict]:
    example = Capability.objects.get(pk="message.draft").examples[0]
    requests = {
        "message": ("message.draft", dict(example, locale="en")),
        "arabic": ("message.draft", dict(example, locale="ar")),
        "price": (
            "pricing.suggest",
            {
                "bar": {"amount": 120, "currency": "EUR"},
                "occupancy_pct": 97,
                "stay_date": "2027-04-02",
                "lead_time_days": 3,
            },
        ),
    }
    opened = {}
    with httpx.Client(base_url=base_url, headers={"X-API-Key": key.raw}, timeout=30) as client:
        for name, (capability, payload) in requests.items():
            response = client.post("/api/v1/ai/complete", json={"capability": capability, "input": payload})
            assert response.status_code == 200, response.text[:300]
            opened[name] = response.json()
            assert opened[name]["hitl"]["status"] == "pending"
    return opened


@contextmanager
def browsing(key, viewport: dict) -> Iterator[tuple[str, dict, object]]:
    """gunicorn serving the pages, three gates opened through it, and a chromium page. The ORM
    is used before Playwright starts: Django refuses it while Playwright's event loop runs."""
    with running_server(workers=1, SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0") as base_url:
        gates = _open_gates(base_url, key)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            try:
                yield base_url, gates, browser.new_page(viewport=viewport)
            finally:
                browser.close()


def log_in(page) -> None:
    page.fill("#id_username", "roya")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_a_reviewer_edits_and_approves_a_draft_in_the_browser(hotel, screenshots):
    tenant, key = hotel
    new_body = "Dear guest, your room will be ready at 13:00, an hour early. Tea is waiting in the lobby."
    with browsing(key, LAPTOP) as (base_url, gates, page):
        gate_id = gates["message"]["hitl"]["gate_id"]
        page.goto(f"{base_url}/hitl/")
        assert "/hitl/login/" in page.url
        log_in(page)
        page.wait_for_selector("table.queue")
        rows = page.locator("tr[data-gate]")
        assert rows.count() == 3
        # sorted by SLA: the two guest messages (30 min) before the price (120 min)
        assert rows.nth(2).get_attribute("data-gate") == gates["price"]["hitl"]["gate_id"]
        assert "min left" in rows.first.inner_text()
        page.screenshot(path=str(screenshots / "hitl-queue.png"), full_page=True)

        page.click(f'tr[data-gate="{gate_id}"] td[data-label="Capability"] a')
        page.wait_for_selector("#decision-form")
        page.screenshot(path=str(screenshots / "hitl-gate.png"), full_page=True)

        # An edit that cannot be read is refused in the browser: nothing is sent.
        page.fill("#f-notes", "[not json")
        page.click("button[value=edit]")
        assert "not valid JSON" in page.inner_text("#err-notes")
        assert page.inner_text("#gate-status") == "pending"

        page.fill("#f-notes", "[]")
        page.fill("#f-body", new_body)
        page.fill("#f-comment", "An hour earlier, as the guest asked.")
        page.click("button[value=edit]")
        page.wait_for_selector("#decision")
        assert page.inner_text("#gate-status") == "edited"
        shown_decision = page.inner_text(".messages")

    with tenant_context(tenant.id):
        gate = HitlGate.objects.get(pk=gate_id)
        decision = HitlDecision.objects.get(gate_id=gate_id)
        event = OutboxEvent.objects.get(topic="hitl.decided", key=gate_id)
    assert gate.status == "edited" and gate.decided_at is not None
    assert decision.reviewer == "user:roya" and decision.edited_output["body"] == new_body
    assert decision.comment == "An hour earlier, as the guest asked."
    assert event.payload["decision_id"] == str(decision.id) and str(decision.id) in shown_decision


def test_an_arabic_draft_reads_right_to_left_and_fits_a_phone(hotel, screenshots):
    _, key = hotel
    with browsing(key, PHONE) as (base_url, gates, page):
        gate_id = gates["arabic"]["hitl"]["gate_id"]
        page.goto(f"{base_url}/hitl/login/?next=/hitl/gates/{gate_id}/")
        log_in(page)
        page.wait_for_selector("#decision-form")
        direction = page.eval_on_selector("#f-body", "el => getComputedStyle(el).direction")
        draft_direction = page.eval_on_selector("#draft .text", "el => getComputedStyle(el).direction")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        page.screenshot(path=str(screenshots / "hitl-gate-arabic-phone.png"), full_page=True)
        page.goto(f"{base_url}/hitl/")
        queue_overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert (direction, draft_direction) == ("rtl", "rtl")
    assert overflow <= 0 and queue_overflow <= 0  # no sideways scrolling on a phone
