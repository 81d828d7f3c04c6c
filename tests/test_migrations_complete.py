"""Every model change has its migration (`manage.py makemigrations --check --dry-run`): a model
edited without one would deploy a schema the code does not match."""

from __future__ import annotations

import pytest
from django.core.management import call_command


@pytest.mark.django_db(databases="__all__")
def test_no_model_change_is_missing_its_migration(capsys):
    try:
        call_command("makemigrations", "--check", "--dry-run", verbosity=1)
    except SystemExit as exc:  # --check exits 1 when a migration would be written
        pytest.fail(f"models changed without a migration (exit {exc.code}):\n{capsys.readouterr().out}")
    assert "No changes detected" in capsys.readouterr().out
