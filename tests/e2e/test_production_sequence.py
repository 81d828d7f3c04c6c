"""The README's production sequence, run as written on a fresh PostgreSQL, ends with a ready server
that answers a request (scripts/production_sequence.py does the work; this runs it as CI would)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e


def test_the_production_sequence_on_a_fresh_database_serves_ready_and_answers():
    result = subprocess.run(
        [sys.executable, "scripts/production_sequence.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-8000:]
    for step in (
        "python manage.py bootstrap_db: ok",
        "python manage.py migrate: ok",
        "seed_catalog: ok",
        "seed_evals: ok",
        "edge_models_build --publish: ok",
        "collectstatic --noinput: ok",
        "/readyz 200 after",
        "POST /complete: 200, provider deterministic, degraded True",
    ):
        assert step in result.stdout, result.stdout
