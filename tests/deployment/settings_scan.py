"""Every environment variable the service reads, found in the code itself (tests, benchmarks and
scripts excluded): the typed readers of melmastoon_ai/env.py and direct `os.environ` reads."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXCLUDED_DIRS = {".venv", "tests", "bench", "scripts", "var", "node_modules", "migrations"}
READERS = {"env_str", "env_bool", "env_int", "env_list", "env_secret", "env_required", "env_choice"}
SECRET_READERS = {"env_secret", "env_required"}


@dataclass(frozen=True)
class Read:
    name: str
    secret: bool
    where: str  # path:line
    how: str


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_os_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def reads_in(source: str, where: str) -> list[Read]:
    found: list[Read] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            first = _literal(node.args[0]) if node.args else None
            if first is None:
                continue
            if name in READERS:
                found.append(Read(first, name in SECRET_READERS, f"{where}:{node.lineno}", name))
            elif isinstance(func, ast.Attribute) and func.attr in {"get", "setdefault"} and _is_os_environ(func.value):
                found.append(Read(first, False, f"{where}:{node.lineno}", f"os.environ.{func.attr}"))
            elif name == "getenv":
                found.append(Read(first, False, f"{where}:{node.lineno}", "os.getenv"))
        elif isinstance(node, ast.Subscript) and _is_os_environ(node.value) and _literal(node.slice):
            found.append(Read(_literal(node.slice), False, f"{where}:{node.lineno}", "os.environ[...]"))
    return found


def project_reads() -> list[Read]:
    reads: list[Read] = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if EXCLUDED_DIRS & set(relative.parts) or relative.as_posix() == "melmastoon_ai/env.py":
            continue
        reads += reads_in(path.read_text(), relative.as_posix())
    return reads
