from celery import shared_task

from melmastoon_ai.tenancy.context import platform_access
from privacy.services import erasure_run, erasure_sweep


@shared_task(name="privacy.erase_subject", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def erase_subject(erasure_id: str, tenant_id: str) -> str:
    """Run or resume one erasure. Idempotent: a step already done is skipped, a request another
    run holds is left to it, a completed one is done."""
    return erasure_run(erasure_id=erasure_id, tenant_id=tenant_id)


@shared_task(name="privacy.erasure_sweep", ignore_result=True)
def sweep() -> dict[str, int]:
    """Beat: resume every open erasure no live run holds; alert once on each past its deadline."""
    with platform_access(actor="privacy-sweep", reason="resume erasures and alert on their deadline"):
        return erasure_sweep()


@shared_task(name="privacy.retention_sweep", ignore_result=True)
def retention() -> dict[str, int]:
    """Nightly: apply every tenant's retention periods, in batches (privacy/retention.py)."""
    from privacy.retention import retention_sweep

    return retention_sweep()
