from celery import shared_task

from evals.services.drift import drift_check_nightly
from evals.services.runs import eval_run_execute, eval_runs_resume_stale


@shared_task(name="evals.run", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def execute_run(run_id: str) -> str:
    """Evaluate a run's remaining cases and finish it; redelivered or repeated, it skips done cases."""
    return eval_run_execute(run_id=run_id).status


@shared_task(name="evals.drift_nightly", ignore_result=True)
def drift_nightly() -> dict:
    return drift_check_nightly()


@shared_task(name="evals.resume_stale", ignore_result=True)
def resume_stale() -> list[str]:
    return eval_runs_resume_stale()  # platform tables only: no tenant rows are read
