"""Both password logins (reviewer pages and admin) go through one throttle: keyed on the username
as Django compares it and on the client address, failing closed when Redis is down."""

from __future__ import annotations

import pytest
import redis
from django.test import Client

from hitl.services import reviewer_account_create
from melmastoon_ai import login_throttle
from melmastoon_ai.login_throttle import KEY_PREFIX, client_address, normalize_username
from melmastoon_ai.redis_client import get_redis

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-staple-7"
LOGINS = {"reviewer": "/hitl/login/", "admin": "/admin/login/"}
BACKUP_CODE = "backup-code-1"  # the admin's second factor in these tests: a one-time backup code


@pytest.fixture(autouse=True)
def _fresh_counters():
    def clear():
        keys = list(get_redis().scan_iter(f"{KEY_PREFIX}:*"))
        if keys:
            get_redis().delete(*keys)

    clear()
    yield
    clear()


@pytest.fixture(params=list(LOGINS))
def account(request, tenant_a, django_user_model):
    """(login url, username) of a reviewer of tenant_a or of a platform superuser."""
    if request.param == "reviewer":
        reviewer_account_create(tenant_id=tenant_a.id, username="revb", password=PASSWORD, groups=["reviewers"])
    else:
        from django_otp.plugins.otp_static.models import StaticDevice

        admin = django_user_model.objects.create_superuser("revb", "revb@example.com", PASSWORD)
        device = StaticDevice.objects.create(user=admin, name="backup codes", confirmed=True)
        device.token_set.create(token=BACKUP_CODE)
    return LOGINS[request.param], "revb"


def attempt(url: str, username: str, password: str, address: str = "203.0.113.7"):
    browser = Client(REMOTE_ADDR=address)
    form = {"username": username, "password": password, "next": url.rsplit("login/")[0]}
    if url == LOGINS["admin"]:
        from django_otp.plugins.otp_static.models import StaticDevice

        device = StaticDevice.objects.filter(user__username="revb").first()
        form |= {"otp_device": device.persistent_id if device else "", "otp_token": BACKUP_CODE}
    return browser, browser.post(url, form)


def logged_in(response) -> bool:
    return response.status_code == 302


def test_username_variants_share_one_count_and_the_right_password_is_then_refused(account):
    url, username = account
    variants = ["revb", "revb ", " revb", "ｒｅｖｂ", "REVB", "revb\u3000", "Ｒｅｖｂ", "revb", "revb ", "ｒｅｖｂ"]
    for index, variant in enumerate(variants):
        assert attempt(url, variant, "wrong", address=f"198.51.100.{index}")[1].status_code == 200
    _, response = attempt(url, username, PASSWORD, address="198.51.100.200")
    assert response.status_code == 429 and b"Too many login attempts" in response.content
    assert not logged_in(response)


def test_a_password_spray_from_one_address_is_throttled_but_other_addresses_are_not(account, settings):
    url, username = account
    for number in range(settings.LOGIN_ATTEMPTS_PER_ADDRESS):
        assert attempt(url, f"guess{number}", "Winter2026!")[1].status_code == 200
    _, refused = attempt(url, username, PASSWORD)
    assert refused.status_code == 429 and not logged_in(refused)
    _, elsewhere = attempt(url, username, PASSWORD, address="192.0.2.44")
    assert logged_in(elsewhere)


def test_forty_wrong_passwords_then_the_right_one_does_not_get_in(account):
    url, username = account
    statuses = [attempt(url, username, f"wrong-{n}", address=f"192.0.2.{n}")[1].status_code for n in range(40)]
    assert statuses[:10] == [200] * 10 and set(statuses[10:]) == {429}
    assert not logged_in(attempt(url, username, PASSWORD, address="192.0.2.99")[1])


def test_a_success_gives_its_attempt_back(account, settings):
    url, username = account
    for _ in range(settings.LOGIN_ATTEMPTS_PER_USERNAME - 1):
        attempt(url, username, "wrong")
    _, ok = attempt(url, username, PASSWORD)
    assert logged_in(ok)
    for _ in range(settings.LOGIN_ATTEMPTS_PER_USERNAME - 1):  # the username's count started afresh
        assert attempt(url, username, "wrong")[1].status_code == 200


def test_logins_are_refused_when_redis_is_down(account, monkeypatch):
    url, username = account
    down = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, socket_timeout=0.2)
    monkeypatch.setattr(login_throttle, "get_redis", lambda: down)
    _, response = attempt(url, username, PASSWORD)
    assert response.status_code == 503 and b"unavailable" in response.content
    assert not logged_in(response)


def test_usernames_normalise_as_django_compares_them_and_addresses_per_host(rf, settings):
    variants = ("revb", " revb", "revb ", "ｒｅｖｂ", "REVB", "\u3000revb")
    assert {normalize_username(name) for name in variants} == {"revb"}
    request = rf.get("/", REMOTE_ADDR="2001:db8:1:2:3:4:5:6")
    assert client_address(request) == "2001:db8:1:2::/64"
    assert client_address(rf.get("/", REMOTE_ADDR="::ffff:192.0.2.1")) == "192.0.2.1"
    settings.TRUSTED_PROXY_COUNT = 1
    proxied = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.9")
    assert client_address(proxied) == "192.0.2.9"  # the spoofable left part is ignored
