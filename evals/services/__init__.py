"""Eval services, one module per concept (STYLE.md): `promotion` (the gate the prompt registry
asks), `runs` (create, execute, finish, resume), `golden` (JSONL import/export), `seeding`
(`seed_evals`), `drift` (nightly re-runs and production signals)."""

from evals.services.promotion import (
    GateDecision,
    MetricComparison,
    check_promotion,
    latest_finished_run,
    promotion_gate,
    prompt_version_promote,
)

__all__ = [
    "GateDecision",
    "MetricComparison",
    "check_promotion",
    "latest_finished_run",
    "promotion_gate",
    "prompt_version_promote",
]
