"""The Grafana dashboard and the Prometheus alert rules in deploy/observability/: both load, and
every expression names only series that /metrics exports (scraped after real calls)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from budgets.models import Budget
from capabilities.models import Capability
from melmastoon_ai.tenancy.context import tenant_context

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2] / "deploy" / "observability"
SERIES = re.compile(r"\bmelmastoon_[a-z0-9_]+")


SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def exported(metrics_scraper) -> set[str]:
    """Every series name /metrics declares, with or without a sample yet (a labelled counter that
    has not counted shows only its HELP and TYPE lines)."""
    text = metrics_scraper.get("/metrics").content.decode()
    families = list(text_string_to_metric_families(text))
    declared = {family.name + suffix for family in families for suffix in SUFFIXES.get(family.type, ("",))}
    return declared | {sample.name for family in families for sample in family.samples}


def expressions() -> list[str]:
    dashboard = json.loads((ROOT / "grafana-dashboard.json").read_text())
    rules = yaml.safe_load((ROOT / "prometheus-alerts.yml").read_text())
    found = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    found += [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    return found


def test_the_dashboard_and_the_alert_rules_load_and_cover_the_slos():
    dashboard = json.loads((ROOT / "grafana-dashboard.json").read_text())
    rules = yaml.safe_load((ROOT / "prometheus-alerts.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    assert {
        "GatewayOverheadP95High",
        "RouterDecisionP95High",
        "AvailabilityBelowSLO",
        "BudgetBurnsOutWithinADay",
    } <= alerts
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])


def test_every_query_names_a_series_the_service_exports(
    client_a, tenant_a, catalog, metrics_scraper, django_capture_on_commit_callbacks
):
    with tenant_context(tenant_a.id):
        Budget.objects.create(tenant=tenant_a, token_limit=1_000_000)
    example = Capability.objects.get(pk="message.draft").examples[0]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(
            "/api/v1/ai/complete", {"capability": "message.draft", "input": example}, format="json"
        )
    assert response.status_code == 200
    names = exported(metrics_scraper)
    used = {name for expr in expressions() for name in SERIES.findall(expr)}
    assert used and used - names == set()
