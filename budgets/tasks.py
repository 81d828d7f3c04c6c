from celery import shared_task

from budgets.services import budgets_rollover
from melmastoon_ai.tenancy.context import platform_access


@shared_task(name="budgets.rollover", ignore_result=True)
def rollover() -> int:
    """Open the current period of every budget, for every tenant (the audited platform path)."""
    with platform_access(actor="budgets-rollover", reason="open budget periods"):
        return budgets_rollover()
