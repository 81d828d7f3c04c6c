"""The ai_calls_fact export to BigQuery (capabilities/reporting/bigquery_export.py) through the
official client against the REST fake on 127.0.0.1: the table partitioned and clustered as seed 000
says, keyset batches from a high-water mark, nothing lost or duplicated when BigQuery is down or an
answer is lost, facts younger than the settle time left for the next run."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from capabilities.models import BigQueryExportState, UsageFact
from capabilities.reporting import bigquery_export
from capabilities.reporting.bigquery_export import SCHEMA_PATH, bigquery_ensure_table, bigquery_export_run
from capabilities.reporting.bigquery_fake import FakeBigQueryServer
from capabilities.reporting.bigquery_metrics import export_figures
from melmastoon_ai.tenancy.context import tenant_context

pytestmark = pytest.mark.django_db
TABLE = "fake-project.melmastoon_ai.ai_calls_fact"


@pytest.fixture
def bigquery_fake(settings):
    fake = FakeBigQueryServer().start()
    settings.BIGQUERY_PROJECT = "fake-project"
    settings.BIGQUERY_API_ENDPOINT = fake.endpoint
    settings.BIGQUERY_TIMEOUT_SECONDS = 2
    settings.BIGQUERY_EXPORT_SETTLE_SECONDS = 60
    yield fake
    fake.stop()


@pytest.fixture
def table(bigquery_fake):
    bigquery_ensure_table()
    return bigquery_fake


def _facts(tenant, count: int, *, age_seconds: float = 600, capability: str = "tutor.answer") -> list[UsageFact]:
    created = timezone.now() - dt.timedelta(seconds=age_seconds)
    with tenant_context(tenant.id):
        return [
            UsageFact.objects.create(
                tenant=tenant,
                day=created.date(),
                capability=capability,
                feature="front-desk",
                model="gemini-2.5-flash",
                provider="vertex",
                input_tokens=100 + n,
                output_tokens=20,
                cost_usd=Decimal("0.000125"),
                latency_ms=300 + n,
                outcome="ok",
                created_at=created + dt.timedelta(microseconds=n),  # distinct, increasing
            )
            for n in range(count)
        ]


def _exported_ids(fake) -> list[int]:
    return [row["fact_id"] for row in fake.table_rows(TABLE)]


def test_the_table_is_created_partitioned_by_day_and_clustered_by_tenant_and_capability(bigquery_fake):
    out = StringIO()
    call_command("bigquery_ensure_table", stdout=out)
    assert out.getvalue().startswith(f"created {TABLE}: partitioned by DAY on call_date")
    resource = bigquery_fake.tables[("fake-project", "melmastoon_ai", "ai_calls_fact")]
    assert resource["timePartitioning"] == {"type": "DAY", "field": "call_date"}
    assert resource["clustering"] == {"fields": ["tenant_id", "capability_key"]}
    committed = json.loads(SCHEMA_PATH.read_text())
    assert [field["name"] for field in resource["schema"]["fields"]] == [field["name"] for field in committed]
    again = StringIO()
    call_command("bigquery_ensure_table", stdout=again)  # idempotent: the table is read, not replaced
    assert again.getvalue().startswith(f"exists {TABLE}")


def test_the_export_resumes_from_its_high_water_mark_in_bounded_batches(table, tenant_a, tenant_b):
    facts = _facts(tenant_a, 3) + _facts(tenant_b, 2, age_seconds=500, capability="message.draft")
    first = bigquery_export_run(batch_size=2, max_batches=1)
    assert (first.exported, first.batches) == (2, 1)
    state = BigQueryExportState.objects.get(pk=1)
    assert (state.created_at, state.fact_id) == (facts[1].created_at, facts[1].id)

    rest = bigquery_export_run(batch_size=2)
    assert (rest.exported, rest.batches) == (3, 2)
    assert _exported_ids(table) == [fact.id for fact in facts]
    assert table.insert_calls == 3  # 2 + 2 + 1: each batch once, nothing sent twice

    assert bigquery_export_run().exported == 0  # nothing new: nothing sent
    later = _facts(tenant_a, 1, age_seconds=100)
    assert bigquery_export_run().exported == 1
    assert _exported_ids(table)[-1] == later[0].id


def test_rows_carry_the_schemas_columns_and_no_content(table, tenant_a):
    (fact,) = _facts(tenant_a, 1)
    bigquery_export_run()
    (row,) = table.table_rows(TABLE)
    assert set(row) == {field["name"] for field in json.loads(SCHEMA_PATH.read_text())}
    assert row["tenant_id"] == str(tenant_a.id) and row["capability_key"] == "tutor.answer"
    assert row["call_date"] == fact.day.isoformat() and row["cost_usd"] == "0.000125"


def test_bigquery_down_then_back_loses_and_duplicates_nothing(table, tenant_a):
    facts = _facts(tenant_a, 3)
    table.lose_response_next(1)  # BigQuery stored the batch, the answer never came back
    table.stop()  # ... and then it is down: the client's retries fail too
    # (the lost answer is scripted on the fake's state, which outlives the stop)
    failed = bigquery_export_run()
    assert failed.exported == 0 and failed.error
    assert BigQueryExportState.objects.get(pk=1).fact_id == 0  # the mark did not move
    table.start()
    resent = bigquery_export_run()  # stored, answer lost: the client retries with the same insert ids
    assert resent.exported == 3
    assert table.duplicates_dropped == 3
    facts += _facts(tenant_a, 2, age_seconds=300)
    table.stop()
    assert bigquery_export_run().error
    table.start()
    assert bigquery_export_run().exported == 2
    assert _exported_ids(table) == [fact.id for fact in facts]  # every fact, once, in order


def test_a_batch_bigquery_refuses_does_not_move_the_mark(table, tenant_a, monkeypatch):
    _facts(tenant_a, 2)
    original = bigquery_export.row_of
    monkeypatch.setattr(bigquery_export, "row_of", lambda fact: original(fact) | {"guest_name": "x"})
    refused = bigquery_export_run()
    assert refused.exported == 0 and "refused" in refused.error
    assert table.table_rows(TABLE) == [] and BigQueryExportState.objects.filter(fact_id__gt=0).count() == 0
    monkeypatch.setattr(bigquery_export, "row_of", original)
    assert bigquery_export_run().exported == 2


def test_a_fact_younger_than_the_settle_time_waits_for_the_next_run(table, tenant_a, settings):
    old = _facts(tenant_a, 1, age_seconds=120)
    young = _facts(tenant_a, 1, age_seconds=5)
    assert bigquery_export_run().exported == 1
    assert _exported_ids(table) == [old[0].id]
    settings.BIGQUERY_EXPORT_SETTLE_SECONDS = 0
    assert bigquery_export_run().exported == 1
    assert _exported_ids(table) == [old[0].id, young[0].id]


def test_the_lag_gauge_is_the_age_of_the_oldest_fact_not_yet_exported(table, tenant_a):
    _facts(tenant_a, 2, age_seconds=900)
    before = export_figures()
    assert before["lag_seconds"] >= 900 and before["exported"] == 0
    bigquery_export_run()
    after = export_figures()
    assert after == {"lag_seconds": 0.0, "exported": 2}


def test_off_unless_a_project_is_configured(settings, tenant_a):
    settings.BIGQUERY_PROJECT = ""
    _facts(tenant_a, 1)
    assert bigquery_export_run().skipped == "disabled"
    assert not BigQueryExportState.objects.exists()


def test_metrics_show_the_export_lag_when_the_export_is_on(table, tenant_a, metrics_scraper):
    _facts(tenant_a, 1, age_seconds=900)
    text = metrics_scraper.get("/metrics").content.decode()
    (line,) = [line for line in text.splitlines() if line.startswith("melmastoon_bigquery_export_lag_seconds ")]
    assert float(line.split()[1]) >= 900
    bigquery_export_run()
    text = metrics_scraper.get("/metrics").content.decode()
    assert "melmastoon_bigquery_export_lag_seconds 0.0" in text and "melmastoon_bigquery_exported_facts 1.0" in text
