"""The admin's login forms: Django's behind the throttle every password login shares, and, where
staff must present a second factor (ADMIN_REQUIRE_OTP, on in production), the same with
django-otp's token field: a TOTP code from an authenticator app, or a one-time backup code."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django_otp.admin import OTPAdminAuthenticationForm

from melmastoon_ai.login_throttle import ThrottledLoginFormMixin


class ThrottledAdminAuthenticationForm(ThrottledLoginFormMixin, AdminAuthenticationForm):
    """Attempts per normalised username and per address (melmastoon_ai/login_throttle.py)."""


class ThrottledOTPAdminAuthenticationForm(ThrottledLoginFormMixin, OTPAdminAuthenticationForm):
    """The password and a token of one of the staff member's confirmed devices; a wrong token is a
    failed attempt like a wrong password."""
