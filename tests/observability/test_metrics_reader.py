"""A /metrics scrape reads across tenants through its own narrow SELECT policy
(tenancy.context.metrics_read_access): the gauges still count every tenant, no audit row is
written per scrape (three a scrape, every 15 s, before), and the policy opens nothing else."""

from __future__ import annotations

import pytest

from budgets.models import Budget
from budgets.services import period_open
from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.outbox.services import outbox_emit
from melmastoon_ai.tenancy.context import metrics_read_access, platform_access, tenant_context
from melmastoon_ai.tenancy.models import PlatformAccessLog
from rag.models import Corpus

pytestmark = pytest.mark.django_db


def _audit_rows() -> int:
    with platform_access(actor="test", reason="count audit rows"):
        return PlatformAccessLog.objects.exclude(actor="test").count()


def _open_budget_and_event(tenant) -> None:
    with tenant_context(tenant.id):
        period_open(budget=Budget.objects.create(tenant=tenant, feature="pricing", token_limit=1000))
        outbox_emit(topic="inference.completed", payload={"n": 1}, key="k", tenant_id=tenant.id)


def test_a_scrape_counts_every_tenant_and_writes_no_audit_row(metrics_scraper, tenant_a, tenant_b):
    _open_budget_and_event(tenant_a)
    _open_budget_and_event(tenant_b)
    before = _audit_rows()
    body = metrics_scraper.get("/metrics").content.decode()
    for tenant in (tenant_a, tenant_b):
        assert f'melmastoon_budget_remaining_tokens{{feature="pricing",tenant="{tenant.id}"}} 1000.0' in body
    pending = next(line for line in body.splitlines() if line.startswith("melmastoon_outbox_pending_events "))
    assert float(pending.split()[1]) >= 2
    assert _audit_rows() == before


def test_the_metrics_policy_reads_only_its_tables_and_writes_nothing(tenant_a):
    _open_budget_and_event(tenant_a)
    with tenant_context(tenant_a.id):
        Corpus.objects.create(tenant=tenant_a, name="Policies")
    with metrics_read_access():
        assert Budget.objects.filter(tenant=tenant_a).count() == 1
        assert OutboxEvent.objects.filter(tenant_id=tenant_a.id).count() == 1
        assert Corpus.objects.count() == 0  # a tenant's other tables stay closed to a scrape
        assert Budget.objects.filter(tenant=tenant_a).update(token_limit=1) == 0  # SELECT only
        assert OutboxEvent.objects.filter(tenant_id=tenant_a.id).delete()[0] == 0
    with tenant_context(tenant_a.id):
        assert Budget.objects.get(tenant=tenant_a).token_limit == 1000
