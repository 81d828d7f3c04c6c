"""ai_calls_fact streamed to BigQuery (seed 000: partitioned by day, clustered by tenant and
capability), for billing and reporting outside this service. Off unless `BIGQUERY_PROJECT` is set.

`bigquery_export_run` (the beat task `capabilities.bigquery_export`, every
`BIGQUERY_EXPORT_SECONDS`) reads facts after the high-water mark `BigQueryExportState`
(created_at, id) in keyset order, at most `BIGQUERY_EXPORT_BATCH` rows a batch and
`BIGQUERY_EXPORT_MAX_BATCHES` batches a run, and sends each batch with `tabledata.insertAll`
through the official client (`Client.insert_rows_json`), the fact id as each row's `insertId`.
The mark moves only after BigQuery accepted the whole batch, in a short transaction of its own; no
database transaction is open while BigQuery answers. So a run killed, or BigQuery down, between
the insert and the mark sends the batch again next run with the same insert ids, which BigQuery
deduplicates (best effort, within minutes: the next run is minutes away); nothing is lost.

Only facts at least `BIGQUERY_EXPORT_SETTLE_SECONDS` old are read: a fact's `created_at` is set
before its transaction commits, so a younger fact may still appear behind the mark. The pipeline
writes facts in its short persist transaction; two minutes is far beyond it.

The rows hold no personal data: ids, the capability, the caller's feature name, model, provider,
tokens, cost, latency, flags (the fact has no content; see the schema
`bigquery/ai_calls_fact.schema.json`). `google-cloud-bigquery` is imported only in this module's
functions (worker and command processes, never the web path).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from prometheus_client import Counter, Histogram

from capabilities.models import BigQueryExportState, UsageFact
from melmastoon_ai.tenancy.context import platform_access

logger = logging.getLogger(__name__)

SCHEMA_PATH = Path(__file__).resolve().parent / "bigquery" / "ai_calls_fact.schema.json"
PARTITION_FIELD = "call_date"
CLUSTERING_FIELDS = ["tenant_id", "capability_key"]
LOCK_KEY = 7_019_002  # pg_try_advisory_lock: one exporter at a time (the rollup's is 7_019_001)

EXPORTED = Counter(
    "melmastoon_bigquery_exported_total", "ai_calls_fact rows the BigQuery export sent, by outcome", ["outcome"]
)
DELAY = Histogram(
    "melmastoon_bigquery_export_delay_seconds",
    "From a fact's write to BigQuery accepting it",
    buckets=(60, 120, 180, 300, 600, 900, 1800, 3600, 7200, 21600, 86400),
)


class ExportFailed(Exception):
    pass


@dataclass
class ExportResult:
    exported: int = 0
    batches: int = 0
    skipped: str = ""  # why nothing was tried: "disabled", "locked"
    error: str = ""


def table_id() -> str:
    return f"{settings.BIGQUERY_PROJECT}.{settings.BIGQUERY_DATASET}.{settings.BIGQUERY_TABLE}"


def bigquery_client():
    """The official client for `BIGQUERY_PROJECT`; with `BIGQUERY_API_ENDPOINT` (the project's
    fake) that endpoint and anonymous credentials, else the application default credentials."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    endpoint = settings.BIGQUERY_API_ENDPOINT
    if endpoint:
        return bigquery.Client(
            project=settings.BIGQUERY_PROJECT,
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            client_options={"api_endpoint": endpoint},
            location=settings.BIGQUERY_LOCATION,
        )
    return bigquery.Client(project=settings.BIGQUERY_PROJECT, location=settings.BIGQUERY_LOCATION)


def table_schema() -> list:
    from google.cloud import bigquery

    return [bigquery.SchemaField.from_api_repr(field) for field in json.loads(SCHEMA_PATH.read_text())]


def bigquery_ensure_table(client=None) -> tuple[Any, bool]:
    """The dataset and the table, partitioned by day on `call_date` and clustered by (tenant_id,
    capability_key); (the table, whether it was created). An existing table is left as it is."""
    from google.api_core import exceptions as google_exceptions
    from google.cloud import bigquery

    client = client or bigquery_client()
    dataset = bigquery.Dataset(f"{settings.BIGQUERY_PROJECT}.{settings.BIGQUERY_DATASET}")
    dataset.location = settings.BIGQUERY_LOCATION
    client.create_dataset(dataset, exists_ok=True, timeout=settings.BIGQUERY_TIMEOUT_SECONDS)
    table = bigquery.Table(table_id(), schema=table_schema())
    table.time_partitioning = bigquery.TimePartitioning(type_=bigquery.TimePartitioningType.DAY, field=PARTITION_FIELD)
    table.clustering_fields = CLUSTERING_FIELDS
    table.description = "One row per gateway call (melmastoon-ai ai_calls_fact), streamed by the export."
    try:
        return client.create_table(table, timeout=settings.BIGQUERY_TIMEOUT_SECONDS), True
    except google_exceptions.Conflict:
        return client.get_table(table_id(), timeout=settings.BIGQUERY_TIMEOUT_SECONDS), False


def row_of(fact: UsageFact) -> dict:
    return {
        "fact_id": fact.id,
        "tenant_id": str(fact.tenant_id),
        "capability_key": fact.capability,
        "call_date": fact.day.isoformat(),
        "created_at": fact.created_at.isoformat(),
        "inference_id": str(fact.inference_id) if fact.inference_id else None,
        "feature": fact.feature or None,
        "model": fact.model,
        "provider": fact.provider,
        "input_tokens": fact.input_tokens,
        "output_tokens": fact.output_tokens,
        "cost_usd": str(fact.cost_usd),
        "latency_ms": fact.latency_ms,
        "cache_hit": fact.cache_hit,
        "fallback_used": fact.fallback_used,
        "outcome": fact.outcome,
    }


def _mark() -> BigQueryExportState:
    state, _ = BigQueryExportState.objects.get_or_create(pk=1)
    return state


def _batch(state: BigQueryExportState, cutoff: dt.datetime, size: int) -> list[UsageFact]:
    """The next facts after the mark, in (created_at, id) order, none younger than the cutoff."""
    facts = UsageFact.objects.filter(created_at__lte=cutoff)
    if state.created_at is not None:
        facts = facts.filter(created_at__gte=state.created_at).filter(
            Q(created_at__gt=state.created_at) | Q(id__gt=state.fact_id)
        )
    with platform_access(actor="capabilities.bigquery_export", reason="export ai_calls_fact to BigQuery"):
        return list(facts.order_by("created_at", "id")[:size])


def _insert(client, facts: list[UsageFact]) -> None:
    from google.api_core.retry import Retry
    from google.cloud.bigquery import DEFAULT_RETRY

    timeout = float(settings.BIGQUERY_TIMEOUT_SECONDS)
    retry: Retry = DEFAULT_RETRY.with_deadline(timeout)
    try:
        errors = client.insert_rows_json(
            table_id(),
            [row_of(fact) for fact in facts],
            row_ids=[str(fact.id) for fact in facts],
            retry=retry,
            timeout=timeout,
        )
    except Exception as exc:  # down, refused, timed out: the batch goes again next run
        raise ExportFailed(f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    if errors:  # insertAll is all or nothing without skipInvalidRows: nothing of the batch was stored
        first = errors[0]
        raise ExportFailed(f"{len(errors)} row(s) refused, first #{first.get('index')}: {first.get('errors')}"[:400])


def bigquery_export_run(*, client=None, batch_size: int | None = None, max_batches: int | None = None) -> ExportResult:
    """Export the facts after the high-water mark (see the module doc); what it did."""
    if not settings.BIGQUERY_PROJECT:
        return ExportResult(skipped="disabled")
    size = batch_size or settings.BIGQUERY_EXPORT_BATCH
    batches = max_batches or settings.BIGQUERY_EXPORT_MAX_BATCHES
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        if not cursor.fetchone()[0]:
            return ExportResult(skipped="locked")
    try:
        return _export(client or bigquery_client(), size, batches)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


def _export(client, size: int, batches: int) -> ExportResult:
    result = ExportResult()
    cutoff = timezone.now() - dt.timedelta(seconds=settings.BIGQUERY_EXPORT_SETTLE_SECONDS)
    for _ in range(batches):
        state = _mark()
        facts = _batch(state, cutoff, size)
        if not facts:
            break
        try:
            _insert(client, facts)
        except ExportFailed as exc:
            EXPORTED.labels("failed").inc(len(facts))
            logger.warning("bigquery export: batch failed, resumes next run", extra={"error": str(exc)})
            result.error = str(exc)
            break
        last = facts[-1]
        with transaction.atomic():
            BigQueryExportState.objects.filter(pk=1).update(
                created_at=last.created_at, fact_id=last.id, exported=state.exported + len(facts)
            )
        now = timezone.now()
        EXPORTED.labels("exported").inc(len(facts))
        for fact in facts:
            DELAY.observe(max((now - fact.created_at).total_seconds(), 0.0))
        result.exported += len(facts)
        result.batches += 1
        if len(facts) < size:
            break
    return result
