"""`seed_evals`: the 15 suites' declared metrics and thresholds, and the starter golden sets."""

from __future__ import annotations

from django.db import transaction

from evals.models import EvalSuite
from evals.services.golden import golden_import, golden_path
from evals.suites import SUITES


@transaction.atomic
def evals_seed() -> dict[str, dict]:
    """Idempotent: a suite's metrics, config, thresholds and tolerances are filled only while it
    declares no metrics (an admin's later edits stay); golden files update cases by key."""
    report = {}
    for key, definition in SUITES.items():
        suite, _ = EvalSuite.objects.get_or_create(key=key, defaults={"capability_id": definition["capability_id"]})
        if not suite.metrics:
            for name in ("metrics", "config", "thresholds", "tolerances", "description"):
                setattr(suite, name, definition[name])
            suite.save()
        path = golden_path(suite.capability_id)
        if path.exists():
            with path.open(encoding="utf-8") as lines:
                result = golden_import(suite=suite, lines=lines)
            report[key] = {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
        else:
            report[key] = {"created": 0, "updated": 0, "unchanged": 0}
    return report
