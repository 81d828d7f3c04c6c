"""Reservation + settlement overhead per call (issue 7): `budget_reserve` then `budget_settle`
against real PostgreSQL and Redis for a tenant with a tenant budget and a feature budget,
in-process, each pair in its own transaction as in a request."""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from decimal import Decimal

from bench.stack import infrastructure


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def measure(calls: int) -> dict:
    from budgets.models import Budget
    from budgets.services import budget_reserve, budget_settle
    from melmastoon_ai.tenancy.context import tenant_context
    from melmastoon_ai.tenancy.services import tenant_create

    tenant = tenant_create(name=f"bench {uuid.uuid4().hex[:6]}")
    with tenant_context(tenant.id):
        Budget.objects.create(tenant=tenant, token_limit=10**12)
        Budget.objects.create(tenant=tenant, feature="pricing", token_limit=10**12)
    samples = []
    for _ in range(calls):
        with tenant_context(tenant.id):
            started = time.perf_counter()
            reservation = budget_reserve(tenant_id=tenant.id, feature="pricing", tokens=900, cost_usd=Decimal("0.001"))
            budget_settle(reservation=reservation, inference_id=uuid.uuid4(), tokens=700, cost_usd=Decimal("0.0008"))
            samples.append((time.perf_counter() - started) * 1000)
    return {"p50": _percentile(samples, 50), "p99": _percentile(samples, 99)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with infrastructure() as env:
        os.environ.update(env)
        import django

        django.setup()
        runs = [measure(args.calls) for _ in range(args.runs)]
        medians = {name: statistics.median(run[name] for run in runs) for name in runs[0]}
        print(
            f"budget reserve + settle (tenant and feature budget): p50 {medians['p50']:.3f} ms, "
            f"p99 {medians['p99']:.3f} ms (median of {args.runs} runs x {args.calls} calls)"
        )


if __name__ == "__main__":
    main()
