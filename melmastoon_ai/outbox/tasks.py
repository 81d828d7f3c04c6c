from __future__ import annotations

import time

from celery import shared_task

from melmastoon_ai.outbox.services import outbox_relay

RELAY_TIME_BUDGET_SECONDS = 10


@shared_task(name="outbox.relay", ignore_result=True)
def relay() -> dict:
    """Drain the outbox in batches for at most a few seconds; beat calls it again soon."""
    deadline = time.monotonic() + RELAY_TIME_BUDGET_SECONDS
    totals = {"published": 0, "duplicates": 0, "failed": 0, "parked": 0}
    while time.monotonic() < deadline:
        result = outbox_relay()
        for name in totals:
            totals[name] += getattr(result, name)
        if result.published + result.duplicates + result.failed == 0:
            break
    return totals
