"""Router decision time: time spent in `route` excluding provider calls (seed 002 target 50 ms,
ours 1 ms at p95). In-process against real PostgreSQL (catalog) and Redis (registry cache,
circuit breakers), with an instant in-process provider so only routing is timed."""

from __future__ import annotations

import argparse
import os
import statistics
import uuid

from bench.stack import infrastructure


class InstantProviderFake:
    kind = "vertex"

    def is_configured(self, model: str | None = None) -> bool:
        return True

    def complete(self, request):
        from routing.providers.base import ProviderResponse

        return ProviderResponse(output=OUTPUT, input_tokens=120, output_tokens=40)


OUTPUT = {
    "suggested_price": {"amount": 126.0, "currency": "EUR"},
    "deviation_pct": 5.0,
    "rationale": "High occupancy and a short lead time.",
}


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def measure(calls: int, scenario: str) -> dict:
    from capabilities.pipeline import circuit_breakers, plan_route, walk_chain
    from capabilities.selectors import capability_get
    from routing import router
    from routing.providers import base
    from routing.providers import registry as provider_registry

    capability = capability_get(capability_id="pricing.suggest")
    if scenario == "first provider answers":
        fake = InstantProviderFake()
        router.adapter_for = lambda kind: fake if kind == "vertex" else provider_registry.adapter_for(kind)
    else:
        router.adapter_for = provider_registry.adapter_for
    context = base.RequestContext(
        tenant_id=str(uuid.uuid4()),
        tenant_region="europe-west1",
        tenant_country="AF",
        locale="en",
        feature="bench",
        offline=False,
    )
    payload = {"bar": {"amount": 120.0, "currency": "EUR"}, "occupancy_pct": 91, "stay_date": "2027-03-14"}
    plan = plan_route(capability, None, None, payload, context)
    circuit_breakers()
    samples = [walk_chain(plan, capability, "en").decision_ms for _ in range(calls)]
    return {"p50": _percentile(samples, 50), "p95": _percentile(samples, 95), "p99": _percentile(samples, 99)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with infrastructure() as env:
        os.environ.update(env)
        import django

        django.setup()
        for scenario in ("first provider answers", "no provider configured (deterministic)"):
            runs = [measure(args.calls, scenario) for _ in range(args.runs)]
            medians = {name: statistics.median(run[name] for run in runs) for name in runs[0]}
            print(
                f"router decision, {scenario}: p50 {medians['p50']:.3f} ms, p95 {medians['p95']:.3f} ms, "
                f"p99 {medians['p99']:.3f} ms (median of {args.runs} runs x {args.calls} calls)"
            )


if __name__ == "__main__":
    main()
