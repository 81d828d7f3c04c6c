"""docs/configuration.md lists every environment variable the code reads, and nothing else, and says
which are secrets: checked against the code itself (tests/deployment/settings_scan.py), so the page
cannot drift while settings are added."""

from __future__ import annotations

import re

from tests.deployment.settings_scan import ROOT, Read, project_reads, reads_in

DOC = ROOT / "docs" / "configuration.md"
ROW = re.compile(
    r"^\|(?P<names>[^|]*)\|(?P<meaning>[^|]*)\|(?P<default>[^|]*)\|(?P<example>[^|]*)"
    r"\|(?P<secret>[^|]*)\|\s*$"
)
NAME = re.compile(r"`([A-Z][A-Z0-9_]+)`")


def documented() -> dict[str, dict[str, str]]:
    """name -> its row, from the tables whose first column names variables."""
    rows: dict[str, dict[str, str]] = {}
    for line in DOC.read_text().splitlines():
        match = ROW.match(line)
        if not match or set(match["names"].strip()) <= {"-", " "}:
            continue
        row = {key: value.strip() for key, value in match.groupdict().items()}
        for name in NAME.findall(row["names"]):
            rows[name] = row
    return rows


def _by_name(reads: list[Read]) -> dict[str, list[Read]]:
    grouped: dict[str, list[Read]] = {}
    for read in reads:
        grouped.setdefault(read.name, []).append(read)
    return grouped


def test_every_setting_the_code_reads_has_a_row_in_docs_configuration_md():
    rows = documented()
    missing = {name: reads for name, reads in _by_name(project_reads()).items() if name not in rows}
    advice = "\n".join(
        f"- {name} (read at {reads[0].where} with {reads[0].how}): add a row to a table of docs/configuration.md:\n"
        f"  | `{name}` | <what it changes> | <default, and what unset means> | <an example value> | "
        f"{'yes' if any(read.secret for read in reads) else 'no'} |"
        for name, reads in sorted(missing.items())
    )
    assert not missing, f"settings missing from docs/configuration.md:\n{advice}"


def test_docs_configuration_md_lists_no_setting_the_code_no_longer_reads():
    read = {read.name for read in project_reads()}
    stale = sorted(set(documented()) - read)
    assert not stale, (
        f"docs/configuration.md documents settings no code reads: {', '.join(stale)}; "
        "remove their rows (or fix the name)"
    )


def test_every_secret_is_marked_secret_and_no_plain_setting_is():
    rows = documented()
    secrets = {read.name for read in project_reads() if read.secret}
    wrong = sorted(name for name, row in rows.items() if name in secrets and not row["secret"].startswith("yes"))
    assert not wrong, (
        f"read with env_secret (so NAME_FILE works and logs never show it) but not marked secret in "
        f"docs/configuration.md: {', '.join(wrong)}; put `yes` in their `secret` column"
    )
    assert {"DATABASE_URL", "SECRET_KEY", "OPENAI_API_KEY", "SIGNER_TOKEN"} <= secrets


def test_every_row_has_a_meaning_a_default_and_an_example():
    empty = sorted(
        name
        for name, row in documented().items()
        if not (row["meaning"] and row["default"] and row["example"] and row["secret"])
    )
    assert not empty, f"rows of docs/configuration.md with an empty cell: {', '.join(empty)}"


def test_the_scan_finds_each_way_a_setting_is_read():
    source = (
        "import os\n"
        "A = env_int('A_SECONDS', 3)\n"
        "B = env_secret('B_TOKEN')\n"
        "C = os.environ.get('C_DIR')\n"
        "D = os.environ['D_NAME']\n"
        "E = os.getenv('E_FLAG')\n"
        "os.environ.setdefault('F_MODULE', 'x')\n"
        "G = some_dict.get('NOT_A_SETTING')\n"
    )
    found = {read.name: read.secret for read in reads_in(source, "x.py")}
    assert found == {
        "A_SECONDS": False,
        "B_TOKEN": True,
        "C_DIR": False,
        "D_NAME": False,
        "E_FLAG": False,
        "F_MODULE": False,
    }
