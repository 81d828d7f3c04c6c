"""Tenancy in two layers (STYLE.md): RLS is the backstop; queries in selectors, services, API
views, page views and admin also name the tenant explicitly. This lint fails on a query of a
tenant-owned model there that does not filter by `tenant`/`tenant_id` (zulip keeps the same rule
for its realms). `bulk_create` is not a query: the rows it writes carry their tenant."""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
CHECKED_FILES = ("selectors.py", "apis.py", "services.py", "views.py", "admin.py")
# Queries that run before a tenant exists or across tenants, by design, each with its reason.
# Keys: (file, model, function) or (file, model) for the whole file.
ALLOWED = {
    ("melmastoon_ai/tenancy/selectors.py", "ApiKey"): "the key lookup by prefix, under its own RLS policy",
    ("melmastoon_ai/tenancy/selectors.py", "TenantMembership"): "a reviewer's login, under its own RLS policy",
    ("hitl/services.py", "HitlGate", "hitl_sweep"): "reads every tenant's open gates (beat, platform_access); "
    "each write of a gate found names its tenant",
    ("budgets/services.py", "Budget", "budgets_rollover"): "opens every tenant's periods (beat, platform_access)",
    ("rag/services.py", "Document", "documents_stale"): "finds every tenant's stuck ingestions (beat, "
    "platform_access); each ingest then names its tenant",
    ("privacy/services.py", "ErasureRequest", "erasure_sweep"): "finds every tenant's open erasures (beat, "
    "platform_access); each alert, run names its tenant",
    ("melmastoon_ai/outbox/services.py", "OutboxEvent", "_claim"): "the relay claims every tenant's events",
    ("melmastoon_ai/outbox/services.py", "OutboxEvent", "_record_outcome"): "the relay records every tenant's outcomes",
    ("melmastoon_ai/outbox/services.py", "OutboxEvent", "outbox_replay_parked"): "an operator re-queues parked "
    "events of every tenant (audited)",
    ("melmastoon_ai/webhooks/services.py", "WebhookDelivery", "webhook_due"): "the dispatcher queues every "
    "tenant's due deliveries (its own RLS policy); each attempt then names its tenant",
}
UNSCOPED_METHODS = {"bulk_create"}


def _tenant_models() -> set[str]:
    return {
        model.__name__ for model in apps.get_models() if any(field.name == "tenant" for field in model._meta.fields)
    }


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


def _function(node: ast.AST, parents: dict) -> str | None:
    while (node := parents.get(node)) is not None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return node.name
    return None


def _unscoped_queries(source: str, relative: str, models: set[str]) -> list[str]:
    problems = []
    tree = ast.parse(source)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and node.attr == "objects" and isinstance(node.value, ast.Name)):
            continue
        model = node.value.id
        allowed = (relative, model) in ALLOWED or (relative, model, _function(node, parents)) in ALLOWED
        if model not in models or allowed:
            continue
        top = node
        # Up the chain only: `Model.objects.a(...).b(...)`, not into a call that takes it as an argument.
        while (isinstance(parent := parents.get(top), ast.Attribute) and parent.value is top) or (
            isinstance(parent, ast.Call) and parent.func is top
        ):
            top = parent
        if isinstance(parents.get(node), ast.Attribute) and parents[node].attr in UNSCOPED_METHODS:
            continue
        keywords = _chain_keywords(top)
        if not any(name == "tenant" or name.startswith(("tenant_", "tenant__")) for name in keywords):
            problems.append(f"{relative}:{node.lineno} {model}.objects without a tenant filter")
    return problems


def test_selectors_services_views_and_admin_name_the_tenant_in_every_tenant_owned_query():
    models = _tenant_models()
    assert {"ApiKey", "InferenceRecord", "OutboxEvent"} <= models
    files = [
        path
        for name in CHECKED_FILES
        for path in ROOT.glob(f"**/{name}")
        if ".venv" not in path.parts and "tests" not in path.parts
    ]
    assert files
    problems = [
        problem
        for path in files
        for problem in _unscoped_queries(path.read_text(), str(path.relative_to(ROOT)), models)
    ]
    assert problems == []


def test_the_lint_catches_an_unscoped_query():
    source = (
        "def leaky(pk):\n"
        "    return InferenceRecord.objects.filter(pk=pk).first()\n"
        "def scoped(tenant, pk):\n"
        "    return InferenceRecord.objects.filter(tenant_id=tenant.id, pk=pk).first()\n"
    )
    assert _unscoped_queries(source, "x/selectors.py", {"InferenceRecord"}) == [
        "x/selectors.py:2 InferenceRecord.objects without a tenant filter"
    ]


def test_the_lint_reads_only_the_query_chain_and_skips_bulk_create():
    source = (
        "def wrapped(pk):\n"
        "    return list(InferenceRecord.objects.filter(pk=pk).values('id'), tenant_id=1)\n"
        "def written(rows):\n"
        "    InferenceRecord.objects.bulk_create(rows)\n"
    )
    # a keyword of the call that takes the chain as an argument does not scope the chain
    assert _unscoped_queries(source, "x/services.py", {"InferenceRecord"}) == [
        "x/services.py:2 InferenceRecord.objects without a tenant filter"
    ]
