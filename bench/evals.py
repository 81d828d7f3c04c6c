"""Eval harness costs (issue 9).

1. Metric computation: `score_case` on every starter golden case (the deterministic fallback's
   answer as the output, schema-checked) then `aggregate` per suite; pure Python, cases/second.
2. An eval run per case against the fake Vertex server (real HTTP, the real SDK) and real
   PostgreSQL and Redis: wall time per case of `eval_run_execute`, and the harness's own share
   (that minus the pipeline's `latency_ms` for the call: locking the run, scoring, writing the
   result).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time

from bench.stack import infrastructure


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def metric_throughput(rounds: int) -> float:
    from jsonschema import Draft202012Validator

    from capabilities.fallbacks import FallbackContext, run_fallback
    from capabilities.schemas import load_definition
    from evals.metrics import ScoredCase, aggregate, score_case
    from evals.services.golden import golden_path, parse_lines
    from evals.suites import SUITES

    prepared = []
    for suite in SUITES.values():
        capability = suite["capability_id"]
        cases = parse_lines(golden_path(capability).read_text(encoding="utf-8").splitlines(), capability_id=capability)
        validator = Draft202012Validator(load_definition(capability)["output_schema"])
        outputs = [run_fallback(capability, case["input"], FallbackContext(locale=case["locale"])) for case in cases]
        prepared.append((suite, cases, outputs, validator))
    total = sum(len(cases) for _, cases, _, _ in prepared)
    started = time.perf_counter()
    for _ in range(rounds):
        for suite, cases, outputs, validator in prepared:
            scored = []
            for case, output in zip(cases, outputs, strict=True):
                errors = [error.message for error in validator.iter_errors(output)]
                score = score_case(
                    output=output, expected=case["expected"], config=suite["config"], schema_errors=errors
                )
                scored.append(ScoredCase(score.scores, score.passed, case["weight"]))
            aggregate(scored, suite["metrics"])
    return total * rounds / (time.perf_counter() - started)


def run_per_case(cases: int) -> dict:
    from evals.models import EvalSuite, GoldenCase
    from evals.services.runs import eval_run_create, eval_run_execute

    suite, _ = EvalSuite.objects.get_or_create(
        key="EVAL_BENCH_PRICING",
        capability_id="pricing.suggest",
        defaults={"metrics": ["schema_valid_rate", "mape"], "config": {"numeric_field": "suggested_price.amount"}},
    )
    if not suite.cases.exists():
        for i in range(cases):
            GoldenCase.objects.create(
                suite=suite,
                key=f"case-{i:03d}",
                expected={"number": 100.0 + i},
                input={
                    "bar": {"amount": 100.0 + i, "currency": "EUR"},
                    "occupancy_pct": 40 + i % 55,
                    "stay_date": "2027-03-14",
                    "lead_time_days": i % 30,
                },
            )
    run = eval_run_create(suite_key=suite.key, enqueue=False)
    stamps = [time.perf_counter()]
    eval_run_execute(run_id=run.id, progress=lambda done, total: stamps.append(time.perf_counter()))
    walls = [(b - a) * 1000 for a, b in itertools.pairwise(stamps)]
    pipeline = {result.case_id: result.latency_ms for result in run.results.all()}
    ordered = [pipeline[case_id] for case_id in run.results.order_by("id").values_list("case_id", flat=True)]
    own = [wall - latency for wall, latency in zip(walls, ordered, strict=False)]
    return {
        "wall_p50": _percentile(walls, 50),
        "wall_p95": _percentile(walls, 95),
        "harness_p50": _percentile(own, 50),
        "harness_p95": _percentile(own, 95),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20, help="passes over the starter golden sets")
    parser.add_argument("--cases", type=int, default=100, help="cases in the benchmark run")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    from routing.fakes import FakeVertexServer

    with FakeVertexServer() as vertex, infrastructure() as env:
        os.environ.update(
            env,
            VERTEX_BASE_URL=vertex.base_url,
            VERTEX_PROJECT="fake-project",
            VERTEX_ACCESS_TOKEN="fake-vertex-token",
            VERTEX_LOCATION="europe-west1",
        )
        import django

        django.setup()
        throughputs = [metric_throughput(args.rounds) for _ in range(args.runs)]
        print(
            f"eval metrics (score + aggregate, starter golden sets): {statistics.median(throughputs):,.0f} "
            f"cases/s (median of {args.runs} runs x {args.rounds} passes)"
        )
        runs = [run_per_case(args.cases) for _ in range(args.runs)]
        medians = {name: statistics.median(run[name] for run in runs) for name in runs[0]}
        print(
            f"eval run per case vs fake Vertex: wall p50 {medians['wall_p50']:.2f} ms, p95 "
            f"{medians['wall_p95']:.2f} ms; harness's own share p50 {medians['harness_p50']:.2f} ms, p95 "
            f"{medians['harness_p95']:.2f} ms (median of {args.runs} runs x {args.cases} cases)"
        )


if __name__ == "__main__":
    main()
