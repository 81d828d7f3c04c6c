"""The starter golden sets and JSONL import/export (service and management command)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from jsonschema import Draft202012Validator, FormatChecker

from capabilities.schemas import CAPABILITY_IDS, load_definition
from evals.metrics import KNOWN_METRICS
from evals.models import EvalSuite, GoldenCase
from evals.services.golden import GOLDEN_DIR, GoldenImportError, golden_export_lines, golden_import
from evals.services.seeding import evals_seed
from evals.suites import SUITES
from melmastoon_ai.tenancy.models import Tenant  # noqa: F401 - the app registry is loaded

PHASE_0 = {
    "pricing.suggest",
    "anomaly.detect",
    "upsell.recommend",
    "message.draft",
    "tutor.answer",
    "vision.photo_quality",
}
TEXT = {"message.draft", "tutor.answer", "description.generate", "translation.draft"}


def _rows(capability_id: str) -> list[dict]:
    path = GOLDEN_DIR / f"{capability_id}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("capability_id", CAPABILITY_IDS)
def test_every_capability_has_a_starter_set_of_valid_inputs(capability_id):
    rows = _rows(capability_id)
    assert len(rows) >= (20 if capability_id in PHASE_0 else 5)
    validator = Draft202012Validator(load_definition(capability_id)["input_schema"], format_checker=FormatChecker())
    for row in rows:
        assert list(validator.iter_errors(row["input"])) == [], row["key"]
        assert row["expected"], row["key"]
    assert len({row["key"] for row in rows}) == len(rows)


@pytest.mark.parametrize("capability_id", sorted(TEXT))
def test_text_sets_span_several_locales_and_scripts(capability_id):
    locales = {row["locale"] for row in _rows(capability_id)}
    assert len(locales) >= 4 and locales & {"ar", "fa", "fa-AF", "ps", "ur"} and locales & {"en", "fr", "tr", "de"}


def test_every_suite_declares_known_metrics_for_a_catalog_capability():
    assert {definition["capability_id"] for definition in SUITES.values()} == set(CAPABILITY_IDS)
    for key, definition in SUITES.items():
        assert set(definition["metrics"]) <= set(KNOWN_METRICS), key
        assert set(definition["thresholds"]) <= set(definition["metrics"]), key


@pytest.mark.django_db
def test_seeding_is_idempotent_and_keeps_admin_edits(catalog):
    evals_seed()
    total = GoldenCase.objects.count()
    assert total >= 6 * 20 + 9 * 5
    suite = EvalSuite.objects.get(key="EVAL_PRICING_001")
    assert suite.metrics and suite.thresholds["mape"] == {"max": 0.08}
    suite.thresholds = {"mape": {"max": 0.05}}
    suite.save()
    report = evals_seed()
    assert GoldenCase.objects.count() == total
    assert all(row["created"] == 0 and row["updated"] == 0 for row in report.values())
    assert EvalSuite.objects.get(key="EVAL_PRICING_001").thresholds == {"mape": {"max": 0.05}}


@pytest.fixture
def suite(catalog) -> EvalSuite:
    return EvalSuite.objects.create(key="EVAL_TEST_GOLDEN", capability_id="pricing.suggest")


def _line(key: str, amount: float = 100.0, **extra) -> str:
    return json.dumps(
        {
            "key": key,
            "input": {"bar": {"amount": amount, "currency": "EUR"}, "occupancy_pct": 50, "stay_date": "2027-01-01"},
            "expected": {"number": amount},
            **extra,
        }
    )


@pytest.mark.django_db
def test_import_creates_then_updates_by_key_and_export_gives_it_back(suite):
    first = golden_import(suite=suite, lines=[_line("a"), _line("b", tags=["x"], weight=2)])
    assert (first.created, first.updated) == (2, 0)
    second = golden_import(suite=suite, lines=[_line("a", 120.0), _line("b", tags=["x"], weight=2)])
    assert (second.created, second.updated, second.unchanged) == (0, 1, 1)
    exported = [json.loads(line) for line in golden_export_lines(suite=suite)]
    assert [(row["key"], row["expected"]["number"], row["weight"]) for row in exported] == [
        ("a", 120.0, 1.0),
        ("b", 100.0, 2.0),
    ]
    again = golden_import(suite=suite, lines=golden_export_lines(suite=suite))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


@pytest.mark.django_db
def test_replace_disables_missing_cases_instead_of_deleting_them(suite):
    golden_import(suite=suite, lines=[_line("a"), _line("b")])
    result = golden_import(suite=suite, lines=[_line("a")], replace=True)
    assert result.disabled == 1
    assert dict(suite.cases.values_list("key", "enabled")) == {"a": True, "b": False}
    assert [json.loads(line)["key"] for line in golden_export_lines(suite=suite)] == ["a"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("not json", "not JSON"),
        ("[1]", "a line must be a JSON object"),
        (json.dumps({"key": "Bad Key", "input": {}}), "key must be"),
        (json.dumps({"key": "x", "input": {"bar": {"amount": 1, "currency": "EUR"}}}), "input schema"),
        (_line("x", weight=0), "weight must be a positive number"),
        (_line("x", surprise=1), "unknown fields"),
        (
            json.dumps(
                {
                    "key": "x",
                    "input": {"bar": {"amount": 1, "currency": "EUR"}, "occupancy_pct": 5, "stay_date": "2027-01-01"},
                    "expected": {"bleu": 1},
                }
            ),
            "expected must be",
        ),
        (_line("x", expected={"before": {"stops.*.room_number": [["101"]]}}), "[first, then] pairs"),
        (_line("x", expected={"at_most": {"walking_m": "short"}}), "must be a number"),
        (_line("x", expected={"each_once": {"stops.*.room_number": "101"}}), "must be a list"),
    ],
)
def test_a_bad_line_refuses_the_whole_file_with_its_line_number(suite, line, problem):
    with pytest.raises(GoldenImportError) as refused:
        golden_import(suite=suite, lines=[_line("good"), line])
    assert refused.value.details["problems"][0].startswith("line 2:")
    assert problem in refused.value.details["problems"][0]
    assert suite.cases.count() == 0


@pytest.mark.django_db
def test_a_duplicate_key_is_refused(suite):
    with pytest.raises(GoldenImportError, match="invalid line"):
        golden_import(suite=suite, lines=[_line("a"), _line("a")])


@pytest.mark.django_db
def test_the_command_imports_and_exports_files(suite, tmp_path: Path):
    source = tmp_path / "in.jsonl"
    source.write_text(f"{_line('a')}\n\n{_line('b')}\n", encoding="utf-8")
    out = StringIO()
    call_command("eval_golden", "import", suite.key, str(source), stdout=out)
    assert "2 created" in out.getvalue()
    target = tmp_path / "out.jsonl"
    call_command("eval_golden", "export", suite.key, str(target))
    assert [json.loads(line)["key"] for line in target.read_text().splitlines()] == ["a", "b"]
    stdout = StringIO()
    call_command("eval_golden", "export", suite.key, stdout=stdout)
    assert stdout.getvalue() == target.read_text()


@pytest.mark.django_db
def test_the_command_reports_bad_lines_and_unknown_suites(suite, tmp_path: Path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 1: not JSON"):
        call_command("eval_golden", "import", suite.key, str(bad))
    with pytest.raises(CommandError, match="no eval suite"):
        call_command("eval_golden", "export", "EVAL_NOPE_001")


@pytest.mark.django_db
def test_seed_evals_command_reports_the_cases(catalog):
    out = StringIO()
    call_command("seed_evals", stdout=out)
    assert "15 suites" in out.getvalue()
