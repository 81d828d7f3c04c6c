"""Start-up times.

- The run command (`python -m melmastoon_ai.devstack`, what `make run` runs once .venv exists) to
  the first /readyz 200: cold (empty data directory: initdb, migrations, catalog seed) and warm
  (the same directory again). Each start is stopped with SIGINT.
- `--server`: the production server alone (`python -m melmastoon_ai.serve`, what an instance
  runs after the image's preparation) against a database and Redis already prepared, from exec
  to /readyz 200: seed 000's budget for a warm instance is under 3 s.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_until_ready(var_dir: Path, timeout: float = 180) -> float:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "MIGRATION_DATABASE_URL")}
    env.update(MELMASTOON_VAR_DIR=str(var_dir), PORT=str(port))
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "melmastoon_ai.devstack"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < timeout:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError("the service did not become ready")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)


def server_start(runs: int) -> None:
    from bench.stack import infrastructure, ready_after_s

    with infrastructure() as env:
        samples = []
        for _ in range(runs):
            port = _free_port()
            started = time.perf_counter()
            process = subprocess.Popen(
                [sys.executable, "-m", "melmastoon_ai.serve"],
                cwd=ROOT,
                env=env | {"HOST": "127.0.0.1", "PORT": str(port)},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                ready_after_s(f"http://127.0.0.1:{port}", process)
                samples.append(time.perf_counter() - started)
            finally:
                process.terminate()
                process.wait(10)
    print(
        f"server start to /readyz 200 (2 workers x 100 threads, preload): median {statistics.median(samples):.2f} s "
        f"of {runs} ({', '.join(f'{x:.2f}' for x in samples)})"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--server", action="store_true", help="time the production server's start alone")
    args = parser.parse_args(argv)
    if args.server:
        server_start(args.runs)
        return
    cold, warm = [], []
    for _ in range(args.runs):
        var_dir = Path(tempfile.mkdtemp(prefix="mlm-start-"))
        cold.append(start_until_ready(var_dir))
        warm.append(start_until_ready(var_dir))
    print(
        f"startup to /readyz 200: cold {statistics.median(cold):.1f} s, warm {statistics.median(warm):.1f} s "
        f"(median of {args.runs}; cold runs {[round(x, 1) for x in cold]}, warm {[round(x, 1) for x in warm]})"
    )


if __name__ == "__main__":
    main()
