from __future__ import annotations

from celery import shared_task

from melmastoon_ai.webhooks.services import webhook_deliver, webhook_due


@shared_task(name="webhooks.deliver", ignore_result=True)
def deliver(delivery_id: str, tenant_id: str) -> str:
    """One attempt; idempotent (a delivery already done, not due or claimed elsewhere is skipped)."""
    return webhook_deliver(delivery_id=delivery_id, tenant_id=tenant_id)


@shared_task(name="webhooks.dispatch", ignore_result=True)
def dispatch() -> int:
    """Beat: queue every due delivery (retries after their backoff, and any whose first task was lost)."""
    due = webhook_due()
    for delivery_id, tenant_id in due:
        deliver.delay(delivery_id, tenant_id)
    return len(due)
