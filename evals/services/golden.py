"""Golden sets as JSONL: one case a line, `{"key", "input", "expected", "locale", "tags", "weight"}`.

Import is all-or-nothing (every line is checked before anything is written) and updates cases
by key, so importing the same file twice changes nothing. With `replace`, cases of the suite
missing from the file are disabled, not deleted: past runs' results still point at them.
The starter sets live in evals/golden/<capability id>.jsonl and load with `seed_evals`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from jsonschema import Draft202012Validator, FormatChecker

from capabilities.schemas import CAPABILITY_IDS, load_definition
from evals.models import EvalSuite, GoldenCase
from melmastoon_ai.errors import ApplicationError, NotFound

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden"
CASE_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
CASE_FIELDS = {"key", "input", "expected", "locale", "tags", "weight", "enabled"}
EXPECTED_KEYS = {"output", "fields", "at_most", "each_once", "never", "before", "label", "number", "numbers", "rubric"}


def _property_problem(expected: dict) -> str:
    """Why the property expectations (at_most, each_once, never, before) are malformed, or ""."""
    for name in ("at_most", "each_once", "never", "before"):
        if name in expected and not isinstance(expected[name], dict):
            return f"expected.{name} must be an object of paths"
    for path, bound in (expected.get("at_most") or {}).items():
        if isinstance(bound, bool) or not isinstance(bound, int | float):
            return f"expected.at_most.{path} must be a number"
    for path, items in (expected.get("each_once") or {}).items():
        if not isinstance(items, list):
            return f"expected.each_once.{path} must be a list"
    for path, pairs in (expected.get("before") or {}).items():
        if not isinstance(pairs, list) or not all(isinstance(pair, list) and len(pair) == 2 for pair in pairs):
            return f"expected.before.{path} must be a list of [first, then] pairs"
    return ""


class GoldenImportError(ApplicationError):
    code = "invalid_golden_set"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    disabled: int = 0
    keys: list[str] = field(default_factory=list)


def golden_path(capability_id: str) -> Path:
    return GOLDEN_DIR / f"{capability_id}.jsonl"


def _input_validator(capability_id: str) -> Draft202012Validator:
    return Draft202012Validator(load_definition(capability_id)["input_schema"], format_checker=FormatChecker())


def parse_case_line(line: str, *, capability_id: str, validator: Draft202012Validator | None = None) -> dict:
    """One JSONL line as a case dict; raises ValueError naming what is wrong."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg}") from exc
    if not isinstance(row, dict):
        raise ValueError("a line must be a JSON object")
    unknown = set(row) - CASE_FIELDS
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    if not isinstance(row.get("key"), str) or not CASE_KEY.match(row["key"]):
        raise ValueError("key must be lower-case letters, digits, - or _ (at most 80)")
    if not isinstance(row.get("input"), dict):
        raise ValueError("input must be an object")
    errors = list((validator or _input_validator(capability_id)).iter_errors(row["input"]))
    if errors:
        raise ValueError(f"input does not match the input schema of {capability_id}: {errors[0].message[:200]}")
    expected = row.get("expected", {})
    if not isinstance(expected, dict) or set(expected) - EXPECTED_KEYS:
        raise ValueError(f"expected must be an object with keys among {sorted(EXPECTED_KEYS)}")
    if problem := _property_problem(expected):
        raise ValueError(problem)
    weight = row.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
        raise ValueError("weight must be a positive number")
    tags = row.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ValueError("tags must be a list of strings")
    locale = row.get("locale") or row["input"].get("locale") or row["input"].get("target_locale") or "en"
    if not isinstance(locale, str) or len(locale) > 8:
        raise ValueError("locale must be a short language tag")
    return {
        "key": row["key"],
        "input": row["input"],
        "expected": expected,
        "locale": locale,
        "tags": tags,
        "weight": float(weight),
        "enabled": bool(row.get("enabled", True)),
    }


def parse_lines(lines: Iterable[str], *, capability_id: str) -> list[dict]:
    validator = _input_validator(capability_id)
    cases, problems, seen = [], [], set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            case = parse_case_line(line, capability_id=capability_id, validator=validator)
        except ValueError as exc:
            problems.append(f"line {number}: {exc}")
            continue
        if case["key"] in seen:
            problems.append(f"line {number}: key {case['key']!r} appears twice")
        seen.add(case["key"])
        cases.append(case)
    if problems:
        raise GoldenImportError(
            f"{len(problems)} invalid line(s) in the golden set", details={"problems": problems[:50]}
        )
    return cases


@transaction.atomic
def golden_import(*, suite: EvalSuite, lines: Iterable[str], replace: bool = False) -> ImportResult:
    if suite.capability_id not in CAPABILITY_IDS:
        raise GoldenImportError(f"suite {suite.key} names no catalog capability ({suite.capability_id})")
    cases = parse_lines(lines, capability_id=suite.capability_id)
    result = ImportResult(keys=[case["key"] for case in cases])
    existing = {case.key: case for case in GoldenCase.objects.select_for_update().filter(suite=suite)}
    for data in cases:
        found = existing.get(data["key"])
        if found is None:
            GoldenCase.objects.create(suite=suite, **data)
            result.created += 1
            continue
        changed = [name for name, value in data.items() if getattr(found, name) != value]
        if changed:
            for name in changed:
                setattr(found, name, data[name])
            found.save()
            result.updated += 1
        else:
            result.unchanged += 1
    if replace:
        missing = [case for key, case in existing.items() if key not in set(result.keys) and case.enabled]
        for case in missing:
            case.enabled = False
            case.save(update_fields=["enabled", "updated_at"])
        result.disabled = len(missing)
    return result


def golden_export_lines(*, suite: EvalSuite, include_disabled: bool = False) -> list[str]:
    cases = suite.cases.order_by("key")
    if not include_disabled:
        cases = cases.filter(enabled=True)
    lines = []
    for case in cases:
        row = {
            "key": case.key,
            "input": case.input,
            "expected": case.expected,
            "locale": case.locale,
            "tags": case.tags,
            "weight": case.weight,
        }
        if not case.enabled:
            row["enabled"] = False
        lines.append(json.dumps(row, ensure_ascii=False, sort_keys=False))
    return lines


def suite_get(*, key: str) -> EvalSuite:
    suite = EvalSuite.objects.filter(key=key).first()
    if suite is None:
        raise NotFound(f"no eval suite {key}")
    return suite
