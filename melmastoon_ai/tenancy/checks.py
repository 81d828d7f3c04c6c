"""Refuse to serve as a database role that would bypass row-level security."""

from __future__ import annotations

from django.core.checks import Error, Warning, register
from django.db import DatabaseError, connections


def role_bypasses_rls(alias: str = "default") -> tuple[str, bool, bool]:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        user, superuser, bypass = cursor.fetchone()
    return user, superuser, bypass


@register("security")
def check_application_role(app_configs=None, **kwargs):
    try:
        user, superuser, bypass = role_bypasses_rls()
    except DatabaseError as exc:
        return [Warning(f"Could not inspect the database role: {type(exc).__name__}", id="tenancy.W001")]
    if superuser or bypass:
        return [
            Error(
                f"The service connects as {user!r}, which is a superuser or has BYPASSRLS: row-level "
                "security would not apply. Connect as the application role (see docs/architecture.md).",
                id="tenancy.E001",
            )
        ]
    return []
