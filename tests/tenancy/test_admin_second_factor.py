"""The admin opens every tenant's data, so staff present a second factor besides the password
(ADMIN_REQUIRE_OTP, on outside DEBUG): a TOTP code or a one-time backup code (issue 15 #15)."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "pw-admin-1"


@pytest.fixture
def enrolled(superuser):
    out = StringIO()
    call_command("otp_enroll", superuser.username, stdout=out)
    return superuser, out.getvalue()


def _login(form: dict) -> Client:
    browser = Client()
    browser.response = browser.post(
        "/admin/login/", {"username": "admin", "password": PASSWORD, "next": "/admin/"} | form
    )
    return browser


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def test_the_right_password_alone_does_not_open_the_admin(enrolled):
    browser = _login({})
    assert browser.response.status_code == 200  # the form again, with an error
    assert browser.get("/admin/").status_code == 302


def test_the_password_and_a_totp_code_open_it(enrolled):
    user, _ = enrolled
    device = TOTPDevice.objects.get(user=user)
    browser = _login({"otp_device": device.persistent_id, "otp_token": _code(device)})
    assert browser.response.status_code == 302
    assert browser.get("/admin/").status_code == 200


def test_a_backup_code_works_once(enrolled):
    user, printed = enrolled
    from django_otp.plugins.otp_static.models import StaticDevice

    device = StaticDevice.objects.get(user=user)
    code = re.findall(r"^  (\S+)$", printed, re.M)[0]
    assert _login({"otp_device": device.persistent_id, "otp_token": code}).response.status_code == 302
    assert _login({"otp_device": device.persistent_id, "otp_token": code}).response.status_code == 200


def test_a_password_only_session_is_not_enough(superuser):
    browser = Client()
    browser.force_login(superuser)  # what a stolen password alone gives
    assert browser.get("/admin/").status_code == 302


def test_enrolment_prints_an_otpauth_uri_and_ten_codes_once(enrolled, superuser):
    _, printed = enrolled
    assert "otpauth://totp/" in printed and "issuer=melmastoon-ai" in printed
    assert len(re.findall(r"^  \S+$", printed, re.M)) == 10
    with pytest.raises(Exception, match="already has a second factor"):
        call_command("otp_enroll", superuser.username, stdout=StringIO())


def test_in_development_the_password_is_enough(superuser, settings):
    settings.ADMIN_REQUIRE_OTP = False
    assert _login({}).response.status_code == 302
