"""Run at WSGI/ASGI start (gunicorn runs no system checks by itself)."""

from __future__ import annotations

import sys

from django.core.checks import ERROR
from django.core.checks.registry import registry


def refuse_unsafe_database_role() -> None:
    errors = [
        message
        for message in registry.run_checks(tags=["security"])
        if message.level >= ERROR and message.id.startswith("tenancy.")
    ]
    if errors:
        for error in errors:
            sys.stderr.write(f"{error.id}: {error.msg}\n")
        raise SystemExit("refusing to serve: the database role bypasses row-level security")
