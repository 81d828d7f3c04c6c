"""Gateway overhead and throughput of POST /api/v1/ai/complete, cache miss and cache hit.

Overhead is the server's own `X-Gateway-Overhead-Ms` (time in the gateway excluding provider
calls; with no provider configured the deterministic fallback runs in-process and counts as
gateway time). Each scenario runs `--runs` times; the figures reported are medians of runs.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench.stack import gunicorn, infrastructure, manage

EXAMPLE = {"bar": {"amount": 120.0, "currency": "EUR"}, "stay_date": "2027-03-14", "lead_time_days": 30}


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def run_scenario(base: str, key: str, *, requests: int, concurrency: int, cache_hit: bool) -> dict:
    counter = iter(range(10**9))
    lock = threading.Lock()
    overheads: list[float] = []
    latencies: list[float] = []
    local = threading.local()

    def one(_):
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=30)
        with lock:
            n = next(counter)
        occupancy = 55 if cache_hit else (n % 10_000) / 100
        body = {
            "capability": "pricing.suggest",
            "input": EXAMPLE | {"occupancy_pct": occupancy},
            "context": {"feature": "bench"},
        }
        started = time.perf_counter()
        response = local.client.post("/api/v1/ai/complete", json=body)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.text[:200]
        assert response.json()["provenance"]["cache_hit"] is cache_hit or not cache_hit
        with lock:
            overheads.append(float(response.headers["X-Gateway-Overhead-Ms"]))
            latencies.append(elapsed)

    if cache_hit:  # warm the one cached answer
        httpx.post(
            f"{base}/api/v1/ai/complete",
            headers={"X-API-Key": key},
            timeout=30,
            json={
                "capability": "pricing.suggest",
                "input": EXAMPLE | {"occupancy_pct": 55},
                "context": {"feature": "bench"},
            },
        )
        time.sleep(0.2)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(requests)))
    wall = time.perf_counter() - started
    return {
        "overhead_p50": _percentile(overheads, 50),
        "overhead_p95": _percentile(overheads, 95),
        "overhead_p99": _percentile(overheads, 99),
        "latency_p50": _percentile(latencies, 50),
        "latency_p99": _percentile(latencies, 99),
        "rps": requests / wall,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    with infrastructure() as env:
        tenant = manage(env, "create_tenant", "Bench Hotel")
        manage(
            env,
            "shell",
            "-c",
            f"from melmastoon_ai.tenancy.models import Tenant; "
            f"Tenant.objects.filter(pk='{tenant}').update(rate_limit_per_minute=10**7)",
        )
        key = manage(env, "create_api_key", "--tenant", tenant, "--scopes", "ai:invoke")
        with gunicorn(env, workers=args.workers, threads=args.threads) as base:
            for label, hit in (("cache miss", False), ("cache hit", True)):
                runs = [
                    run_scenario(base, key, requests=args.requests, concurrency=args.concurrency, cache_hit=hit)
                    for _ in range(args.runs)
                ]
                medians = {name: statistics.median(run[name] for run in runs) for name in runs[0]}
                print(
                    f"{label}: overhead p50 {medians['overhead_p50']:.2f} ms, p95 {medians['overhead_p95']:.2f} ms, "
                    f"p99 {medians['overhead_p99']:.2f} ms; client latency p50 {medians['latency_p50']:.2f} ms, "
                    f"p99 {medians['latency_p99']:.2f} ms; {medians['rps']:.0f} requests/s "
                    f"(median of {args.runs} runs x {args.requests} requests, concurrency {args.concurrency})"
                )


if __name__ == "__main__":
    main()
