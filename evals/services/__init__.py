"""Eval services, one module per concept (STYLE.md): `promotion` (the gate the prompt registry
asks), `runs` (create, execute, finish, resume), `golden` (JSONL import/export), `seeding`
(`seed_evals`), `drift` (nightly re-runs and production signals)."""

from evals.services.promotion import GateDecision, MetricComparison, latest_finished_run, promotion_gate

__all__ = ["GateDecision", "MetricComparison", "latest_finished_run", "promotion_gate"]
