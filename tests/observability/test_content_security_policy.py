"""Every page is sent with a Content-Security-Policy that allows no inline script or style, and no
page of ours needs one: the reviewer pages, the admin and /api/docs/ load only their own static files.
tests/e2e/test_csp_browser.py loads the same pages in chromium and fails on any violation."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from hitl.services import reviewer_account_create
from tests.factories import staff_login
from tests.hitl.test_pages import PASSWORD, message_gate

pytestmark = pytest.mark.django_db
INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    re.compile(r"<style\b", re.I),
    re.compile(r"\sstyle\s*=", re.I),
    re.compile(r"\son[a-z]+\s*=", re.I),
    re.compile(r"javascript:", re.I),
]


def inline_parts(html: str) -> list[str]:
    return [match.group(0) for pattern in INLINE for match in pattern.finditer(html)]


def assert_strict_policy(response) -> None:
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_the_reviewer_pages_send_the_policy_and_have_nothing_inline(client_a, tenant_a, catalog):
    gate_id, _ = message_gate(client_a)
    login = Client().get("/hitl/login/")
    assert_strict_policy(login)
    assert inline_parts(login.content.decode()) == []
    browser = Client()
    browser.force_login(
        reviewer_account_create(tenant_id=tenant_a.id, username="csp", password=PASSWORD, groups=["reviewers"])
    )
    for url in ("/hitl/", f"/hitl/gates/{gate_id}/"):
        page = browser.get(url)
        assert page.status_code == 200
        assert_strict_policy(page)
        assert inline_parts(page.content.decode()) == [], url
    assert 'src="/static/hitl/gate.js"' in browser.get(f"/hitl/gates/{gate_id}/").content.decode()


def test_the_admin_and_the_api_docs_send_the_policy_and_have_nothing_inline(superuser, catalog):
    browser = Client()
    assert_strict_policy(browser.get("/admin/login/"))
    staff_login(browser, superuser)
    for url in ("/admin/", "/admin/capabilities/capability/pricing.suggest/change/", "/api/docs/"):
        page = browser.get(url)
        assert page.status_code == 200, url
        assert_strict_policy(page)
        assert inline_parts(page.content.decode()) == [], url
    docs = browser.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in docs
    assert "cdn." not in docs
    script = browser.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/static/hitl/gate.js",
        "/static/hitl/reviewer.css",
        "/static/melmastoon/admin.css",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/admin/css/base.css",
    ],
)
def test_the_static_files_the_policy_allows_are_served(path):
    response = Client().get(path)
    assert response.status_code == 200
