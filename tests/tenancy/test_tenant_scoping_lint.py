"""Tenancy in two layers (STYLE.md): RLS is the backstop; reads in selectors and API views also
name the tenant explicitly. This lint fails on a query of a tenant-owned model there that does
not filter by `tenant`/`tenant_id` (zulip keeps the same rule for its realms)."""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
CHECKED_FILES = ("selectors.py", "apis.py")
# Reads that run before a tenant exists, by design, each with its reason.
ALLOWED = {
    ("melmastoon_ai/tenancy/selectors.py", "ApiKey"): "the key lookup by prefix, under its own RLS policy",
    ("melmastoon_ai/tenancy/selectors.py", "TenantMembership"): "a reviewer's login, under its own RLS policy",
}


def _tenant_models() -> set[str]:
    return {model.__name__ for model in apps.get_models()
            if any(field.name == "tenant" for field in model._meta.fields)}


def _chain_keywords(node: ast.AST) -> set[str]:
    """Keyword names of every call in a `Model.objects.a(...).b(...)` chain."""
    names: set[str] = set()
    while isinstance(node, ast.Call | ast.Attribute):
        if isinstance(node, ast.Call):
            names |= {kw.arg for kw in node.keywords if kw.arg}
            node = node.func
        else:
            node = node.value
    return names


def _unscoped_queries(source: str, relative: str, models: set[str]) -> list[str]:
    problems = []
    tree = ast.parse(source)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and node.attr == "objects" and isinstance(node.value, ast.Name)):
            continue
        model = node.value.id
        if model not in models or (relative, model) in ALLOWED:
            continue
        top = node
        while isinstance(parents.get(top), ast.Call | ast.Attribute):
            top = parents[top]
        keywords = _chain_keywords(top)
        if not any(name == "tenant" or name.startswith(("tenant_", "tenant__")) for name in keywords):
            problems.append(f"{relative}:{node.lineno} {model}.objects without a tenant filter")
    return problems


def test_selectors_and_apis_name_the_tenant_in_every_tenant_owned_query():
    models = _tenant_models()
    assert {"ApiKey", "InferenceRecord", "OutboxEvent"} <= models
    files = [path for name in CHECKED_FILES for path in ROOT.glob(f"**/{name}")
             if ".venv" not in path.parts and "tests" not in path.parts]
    assert files
    problems = [problem for path in files
                for problem in _unscoped_queries(path.read_text(), str(path.relative_to(ROOT)), models)]
    assert problems == []


def test_the_lint_catches_an_unscoped_query():
    source = (
        "def leaky(pk):\n"
        "    return InferenceRecord.objects.filter(pk=pk).first()\n"
        "def scoped(tenant, pk):\n"
        "    return InferenceRecord.objects.filter(tenant_id=tenant.id, pk=pk).first()\n"
    )
    assert _unscoped_queries(source, "x/selectors.py", {"InferenceRecord"}) == [
        "x/selectors.py:2 InferenceRecord.objects without a tenant filter"]
