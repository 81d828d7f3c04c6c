"""mypy on the application code against a baseline that may only shrink.

    python scripts/mypy_baseline.py            # fail on any error not in mypy-baseline.txt
    python scripts/mypy_baseline.py --update   # rewrite the baseline (only ever to remove lines)

Errors are compared without their line numbers (an edit above an old error must not make it new),
as a multiset: two identical errors in one file need two baseline lines. `make lint` runs it."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "mypy-baseline.txt"
PACKAGES = [
    "melmastoon_ai",
    "guardrails",
    "manifests",
    "routing",
    "prompts",
    "rag",
    "budgets",
    "hitl",
    "capabilities",
    "evals",
]
ERROR = re.compile(r"^(?P<path>[^:]+):\d+(?::\d+)?: error: (?P<message>.*)$")
# Some messages name another line ("already defined on line 146"): that number moves with edits too.
LINE_REFERENCE = re.compile(r"\bon line \d+\b")


def current_errors() -> Counter[str]:
    # Cold (--no-incremental), as on a clean clone: the incremental cache can give another error set.
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", *PACKAGES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode not in (0, 1):  # 2: mypy itself failed (bad config, crash)
        sys.exit(f"mypy failed to run:\n{run.stdout}{run.stderr}")
    errors: Counter[str] = Counter()
    for line in run.stdout.splitlines():
        if match := ERROR.match(line):
            errors[f"{match['path']}: {LINE_REFERENCE.sub('on line N', match['message'])}"] += 1
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update", action="store_true", help="write the current errors as the baseline")
    args = parser.parse_args()
    errors = current_errors()
    if args.update:
        BASELINE.write_text("".join(f"{key}\n" for key in sorted(errors.elements())), encoding="utf-8")
        print(f"mypy baseline: {sum(errors.values())} errors written to {BASELINE.name}")
        return 0
    baseline = Counter(BASELINE.read_text(encoding="utf-8").splitlines()) if BASELINE.exists() else Counter()
    new = errors - baseline
    fixed = baseline - errors
    for key in sorted(new.elements()):
        print(f"new mypy error: {key}")
    if fixed:
        print(
            f"{sum(fixed.values())} baseline errors are fixed: run `python scripts/mypy_baseline.py --update` "
            "to shrink the baseline"
        )
    print(f"mypy: {sum(errors.values())} errors, {sum(baseline.values())} in the baseline, {sum(new.values())} new")
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
