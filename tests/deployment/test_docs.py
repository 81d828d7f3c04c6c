"""The documents a newcomer follows are true: the README links only to files in the repository and
lists the production sequence that scripts/production_sequence.py runs, docs/api.md is the shared
contract plus every error code the code can send, and one version number is reported everywhere."""

from __future__ import annotations

import ast
import re
import tomllib

import pytest
import yaml

from melmastoon_ai.version import VERSION
from tests.deployment.settings_scan import EXCLUDED_DIRS, ROOT

README = ROOT / "README.md"
API_DOC = ROOT / "docs" / "api.md"
SHARED_API = ROOT.parent / "shared" / "API.md"
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _markdown_files() -> list:
    return [README, *sorted((ROOT / "docs").glob("*.md")), ROOT / "CHANGELOG.md"]


def test_the_readme_and_docs_link_only_to_files_in_the_repository():
    problems = []
    for document in _markdown_files():
        for target in LINK.findall(document.read_text()):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            resolved = (document.parent / target).resolve()
            if not resolved.is_relative_to(ROOT) or not resolved.exists():
                problems.append(f"{document.relative_to(ROOT)} links to {target}")
    assert problems == []
    assert "../shared" not in README.read_text()


def _production_block() -> list[str]:
    section = README.read_text().split("## Production", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    return [line.split("#")[0].strip() for line in block.splitlines() if line.startswith("python ")]


def test_the_readme_lists_exactly_the_production_sequence_the_script_runs():
    from scripts.production_sequence import SEQUENCE

    assert _production_block() == list(SEQUENCE)


def test_docs_api_md_is_the_shared_contract_exactly_then_this_projects_additions():
    if not SHARED_API.exists():
        pytest.skip("../shared/API.md is not beside this checkout")
    text = API_DOC.read_text()
    assert text.startswith(SHARED_API.read_text())
    assert "## As built" in text[len(SHARED_API.read_text()) :]


def _application_error_codes() -> dict[str, str]:
    """Every envelope code the code can send: ApplicationError subclasses' `code`, `code=` given to
    them, `json_error(status, code, ...)` and the DRF mapping of melmastoon_ai/errors.py."""
    trees = {}
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if not EXCLUDED_DIRS & set(relative.parts):
            trees[relative.as_posix()] = ast.parse(path.read_text())
    error_classes = {"ApplicationError"}
    changed = True
    while changed:
        changed = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.ClassDef)
                    and node.name not in error_classes
                    and any(isinstance(base, ast.Name) and base.id in error_classes for base in node.bases)
                ):
                    error_classes.add(node.name)
                    changed = True
    codes: dict[str, str] = {}
    for where, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name in error_classes:
                for statement in node.body:
                    if isinstance(statement, ast.Assign) and [
                        target.id for target in statement.targets if isinstance(target, ast.Name)
                    ] == ["code"]:
                        codes.setdefault(statement.value.value, where)
            elif isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name in error_classes:
                    for keyword in node.keywords:
                        if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                            codes.setdefault(keyword.value.value, where)
                if name in {"json_error", "envelope"}:
                    literal = [
                        arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                    ]
                    if literal:
                        codes.setdefault(literal[0], where)
    from melmastoon_ai.errors import _DRF_CODES

    for _klass, _status, code in _DRF_CODES:
        codes.setdefault(code, "melmastoon_ai/errors.py")
    return codes


def test_docs_api_md_lists_every_error_code_the_service_can_send():
    documented = set(re.findall(r"^\| \d{3} \| `([a-z_]+)` \|", API_DOC.read_text(), re.MULTILINE))
    codes = _application_error_codes()
    assert {"invalid_request", "unknown_capability", "payload_too_large", "budget_exhausted"} <= set(codes)
    missing = {code: where for code, where in codes.items() if code not in documented}
    assert not missing, (
        'error codes sent but not in docs/api.md, "Error codes in use" (add a row '
        f"`| <status> | `<code>` | <when> |`): {missing}"
    )


def _changelog_versions() -> list[str]:
    return re.findall(r"^## \[?(\d+\.\d+\.\d+)\]?", (ROOT / "CHANGELOG.md").read_text(), re.MULTILINE)


def test_one_version_everywhere_the_service_is_named():
    assert _changelog_versions()[0] == VERSION, "the newest CHANGELOG.md entry is the version the service reports"
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"] == VERSION
    chart = yaml.safe_load((ROOT / "deploy" / "helm" / "melmastoon-ai" / "Chart.yaml").read_text())
    assert chart["appVersion"] == VERSION and chart["version"] == VERSION
    images = set(
        re.findall(
            r"melmastoon-ai:(\d+\.\d+\.\d+)",
            " ".join(path.read_text() for path in (ROOT / "deploy" / "cloudrun").glob("*.yaml")),
        )
    )
    assert images == {VERSION}
