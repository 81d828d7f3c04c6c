from celery import shared_task

from hitl.services import hitl_sweep
from melmastoon_ai.tenancy.context import platform_access


@shared_task(name="hitl.sweep", ignore_result=True)
def sweep() -> dict:
    with platform_access(actor="hitl-sweep", reason="escalate and expire gates"):
        return hitl_sweep()
