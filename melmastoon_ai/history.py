"""django-simple-history's `get_user` for every audited model.

Admin edits record the Django user. API callers authenticate as a `Principal` (API key or
JWT), which DRF sets as `request.user` but is no User row: their changes record no user.
"""

from django.contrib.auth.base_user import AbstractBaseUser


def history_user(request=None, **kwargs):
    user = getattr(request, "user", None)
    return user if isinstance(user, AbstractBaseUser) else None
