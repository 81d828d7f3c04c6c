"""Streaming: time to first byte and per-token overhead, against the fake Vertex server.

`tutor.answer` answers from its catalog chain (Gemini on Vertex, the fake streaming
`:streamGenerateContent` four characters an event, `--chunk-delay-ms` apart). Measured, each
request sequential, medians of `--runs` runs of `--requests` requests:

- the fake itself, read directly with the body the gateway sent it (what a client of the provider sees);
- POST /api/v1/ai/complete as JSON, and streamed (SSE): time to the first `delta`, to the end;
- POST /v1/chat/completions, not streamed and streamed (the first content chunk, the end).

Per-token overhead: (gateway stream end - direct stream end) / provider events, an upper bound
(the request's fixed costs, prepare and persist, are spread over the events). The first delta
waits for the first whole sentence of the streamed field (capabilities/stream_text.py), so the
gateway's time to first byte includes that hold-back on purpose.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import httpx

from bench.stack import BIN, ROOT, gunicorn, infrastructure, manage


def fake_providers(env: dict[str, str]) -> tuple[subprocess.Popen, dict[str, str]]:
    """`manage.py fake_providers` on free ports, and the environment it prints."""
    process = subprocess.Popen(
        [str(BIN / "python"), "manage.py", "fake_providers", "--base-port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    exported: dict[str, str] = {}
    for line in process.stdout:
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").strip().partition("=")
            exported[name] = value
        if line.startswith("# Script"):
            return process, exported
    raise RuntimeError("fake_providers printed no environment")


def timed_stream(send: Callable[[], httpx.Response], first: Callable[[str], bool]) -> tuple[float, float, int]:
    """(ms to the first line `first` accepts, ms to the end, lines read) of a streamed response."""
    started = time.perf_counter()
    first_ms, lines = None, 0
    with send() as response:
        assert response.status_code == 200, response.read()[:200]
        for line in response.iter_lines():
            if line.startswith("data: "):
                lines += 1
            if first_ms is None and first(line):
                first_ms = (time.perf_counter() - started) * 1000
    return first_ms or 0.0, (time.perf_counter() - started) * 1000, lines


def scenarios(
    client: httpx.Client, base: str, key: str, vertex: str, counter
) -> dict[str, Callable[[], tuple[float, float, int]]]:
    auth = {"Authorization": f"Bearer {key}"}

    def question() -> str:
        return f"What time is breakfast served on floor {next(counter)}?"

    def complete_body() -> dict:
        return {
            "capability": "tutor.answer",
            "input": {"question": question(), "locale": "en"},
            "context": {"feature": "bench-stream"},
        }

    def chat_body(stream: bool) -> dict:
        return {"model": "tutor.answer", "stream": stream, "messages": [{"role": "user", "content": question()}]}

    def whole(send: Callable[[], httpx.Response]) -> tuple[float, float, int]:
        started = time.perf_counter()
        response = send()
        assert response.status_code == 200, response.text[:200]
        elapsed = (time.perf_counter() - started) * 1000
        return elapsed, elapsed, 1

    # the direct read sends what the gateway sent (the fake records it): the same answer, the same events
    for _ in range(10):  # a cold worker's first calls may miss the latency target and fall back
        warm = client.post(
            f"{base}/api/v1/ai/complete", json=complete_body(), headers=auth | {"Accept": "text/event-stream"}
        ).text
        completed = json.loads(warm.rsplit("event: completed\ndata: ", 1)[-1])
        if completed.get("provenance", {}).get("provider") == "vertex":
            break
    else:
        raise RuntimeError(f"the gateway did not answer from the fake Vertex: {warm[-600:]}")
    sent = [
        row for row in client.get(f"{vertex}/__control__").json()["received"] if ":streamGenerateContent" in row["path"]
    ][-1]

    def direct():
        return timed_stream(
            lambda: client.stream(
                "POST",
                f"{vertex}{sent['path']}",
                json=sent["body"],
                headers={"X-Melmastoon-Capability": "tutor.answer"},
            ),
            lambda line: line.startswith("data: "),
        )

    return {
        "fake Vertex, read directly (stream)": direct,
        "/complete JSON": lambda: whole(
            lambda: client.post(f"{base}/api/v1/ai/complete", json=complete_body(), headers=auth)
        ),
        "/complete SSE": lambda: timed_stream(
            lambda: client.stream(
                "POST",
                f"{base}/api/v1/ai/complete",
                json=complete_body(),
                headers=auth | {"Accept": "text/event-stream"},
            ),
            lambda line: line == "event: delta",
        ),
        "/v1/chat/completions": lambda: whole(
            lambda: client.post(f"{base}/v1/chat/completions", json=chat_body(False), headers=auth)
        ),
        "/v1/chat/completions stream": lambda: timed_stream(
            lambda: client.stream("POST", f"{base}/v1/chat/completions", json=chat_body(True), headers=auth),
            lambda line: line.startswith("data: ") and '"content":"' in line and '"content":""' not in line,
        ),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chunk-delay-ms", type=int, default=10)
    args = parser.parse_args(argv)
    with infrastructure() as env:
        fakes, exported = fake_providers(env)
        try:
            env = env | exported
            tenant = manage(env, "create_tenant", "Bench Hotel")
            manage(
                env,
                "shell",
                "-c",
                f"from melmastoon_ai.tenancy.models import Tenant; "
                f"Tenant.objects.filter(pk='{tenant}').update(rate_limit_per_minute=10**7, "
                f"cache_enabled=False)",
            )
            key = manage(env, "create_api_key", "--tenant", tenant, "--scopes", "ai:invoke")
            vertex = exported["VERTEX_BASE_URL"]
            httpx.post(f"{vertex}/__control__", json={"times": None, "chunk_delay_ms": args.chunk_delay_ms})
            with gunicorn(env, workers=1, threads=4) as base, httpx.Client(timeout=60) as client:
                report(scenarios(client, base, key, vertex, iter(range(10**9))), args)
        finally:
            fakes.terminate()
            fakes.wait(10)


def report(cases: dict[str, Callable[[], tuple[float, float, int]]], args) -> None:
    for case in cases.values():  # warm every path once
        case()
    medians: dict[str, tuple[float, float, float]] = {}
    for label, case in cases.items():
        runs = [[case() for _ in range(args.requests)] for _ in range(args.runs)]
        medians[label] = tuple(
            statistics.median(statistics.median(sample[i] for sample in run) for run in runs) for i in range(3)
        )
        first, end, lines = medians[label]
        print(f"{label}: first byte {first:.1f} ms, end {end:.1f} ms ({lines:.0f} events)")
    direct_end, events = medians["fake Vertex, read directly (stream)"][1:]
    for label in ("/complete SSE", "/v1/chat/completions stream"):
        extra = medians[label][1] - direct_end
        print(
            f"{label}: {extra:.1f} ms over the direct read to the end, {extra / events:.3f} ms per provider "
            f"event (the fixed costs of prepare and persist included)"
        )
    print(
        f"(median of {args.runs} runs x {args.requests} sequential requests, provider events "
        f"{args.chunk_delay_ms} ms apart)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
