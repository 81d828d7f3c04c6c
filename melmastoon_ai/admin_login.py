"""The admin's login form: Django's, behind the throttle every password login shares."""

from django.contrib.admin.forms import AdminAuthenticationForm

from melmastoon_ai.login_throttle import ThrottledLoginFormMixin


class ThrottledAdminAuthenticationForm(ThrottledLoginFormMixin, AdminAuthenticationForm):
    """Attempts per normalised username and per address (melmastoon_ai/login_throttle.py)."""
