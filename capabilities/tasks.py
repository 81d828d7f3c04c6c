from celery import shared_task

from capabilities.async_inference import async_inference_run
from capabilities.forecast_batches import forecast_batch_run
from capabilities.reporting.bigquery_export import bigquery_export_run
from capabilities.reporting.rollup import usage_rollup_days


@shared_task(name="capabilities.run_forecast_batch", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def run_forecast_batch(batch_id: str, tenant_id: str) -> str:
    """A batch of demand forecasts (seed 001 §7: the 1 h batch target). Redelivered after a worker died,
    it goes on where the results stop; each item's idempotency key returns what a finished item answered."""
    return forecast_batch_run(tenant_id=tenant_id, batch_id=batch_id)


@shared_task(name="capabilities.usage_rollup", ignore_result=True)
def usage_rollup() -> dict:
    """Roll the closed days of ai_calls_fact up into ai_calls_daily (the usage report's source for
    whole days), from the high-water mark to yesterday (capabilities/reporting/rollup.py)."""
    return usage_rollup_days()


@shared_task(name="capabilities.bigquery_export", ignore_result=True)
def bigquery_export() -> dict:
    """Stream the ai_calls_fact rows after the high-water mark to BigQuery (insertAll, fact id as
    insert id; capabilities/reporting/bigquery_export.py). Off unless BIGQUERY_PROJECT is set."""
    result = bigquery_export_run()
    return {"exported": result.exported, "batches": result.batches, "skipped": result.skipped, "error": result.error}


@shared_task(name="capabilities.run_async_inference", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def run_async_inference(async_id: str, tenant_id: str) -> str:
    """`Prefer: respond-async` on /complete (capabilities/async_inference.py): the ordinary pipeline,
    with the id the caller was given. Redelivered after a worker died, it runs again or, when the
    record was already written, only marks the request completed."""
    return async_inference_run(tenant_id=tenant_id, async_id=async_id)
