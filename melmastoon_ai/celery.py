"""The Celery app: Redis broker, django-celery-beat schedules (editable in Django admin)."""

import os

from celery import Celery
from celery.signals import (
    beat_init,
    before_task_publish,
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
    task_success,
    worker_init,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "melmastoon_ai.settings.base")

app = Celery("melmastoon_ai")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _log_worker_configuration(**kwargs):
    from melmastoon_ai.configuration import log_effective_configuration

    log_effective_configuration("worker")
    _serve_worker_metrics()


def _serve_worker_metrics() -> None:
    """The worker's own /metrics (task outcomes) on WORKER_METRICS_PORT, when set."""
    from django.conf import settings
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    if not settings.WORKER_METRICS_PORT:
        return
    registry = None
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    # every interface: Prometheus scrapes the worker's pod from outside it
    start_http_server(
        settings.WORKER_METRICS_PORT,
        addr="0.0.0.0",  # noqa: S104
        **({"registry": registry} if registry else {}),
    )


@beat_init.connect
def _log_beat_configuration(**kwargs):
    from melmastoon_ai.configuration import log_effective_configuration

    log_effective_configuration("beat")


@before_task_publish.connect
def _propagate_trace_context(headers=None, **kwargs):
    """A task published while a request (or task) runs carries its W3C trace context."""
    from melmastoon_ai.observability import tracing

    if headers is not None:
        tracing.inject_into(headers)


@task_prerun.connect
def _bind_task_request_id(task_id=None, task=None, **kwargs):
    from melmastoon_ai.observability import tracing
    from melmastoon_ai.observability.context import bind_request_id

    task.request.melmastoon_token = bind_request_id(f"task-{task_id}")
    span = tracing.server_span(
        f"task {task.name}",
        task_trace_carrier(task.request),
        kind=tracing.SpanKind.CONSUMER,
        attributes={"celery.task_id": task_id or ""},
    )
    span.__enter__()
    task.request.melmastoon_span = span


@task_postrun.connect
def _unbind_task_request_id(task_id=None, task=None, **kwargs):
    from melmastoon_ai.observability.context import unbind_request_id

    span = getattr(task.request, "melmastoon_span", None)
    if span is not None:
        task.request.melmastoon_span = None
        span.__exit__(None, None, None)
    token = getattr(task.request, "melmastoon_token", None)
    if token is not None:
        unbind_request_id(token)


def _count_task(task_name: str, outcome: str) -> None:
    from melmastoon_ai.observability.metrics import TASKS

    TASKS.labels(task_name or "unknown", outcome).inc()


@task_success.connect
def _count_success(sender=None, **kwargs):
    _count_task(getattr(sender, "name", ""), "success")


@task_failure.connect
def _count_failure(sender=None, **kwargs):
    _count_task(getattr(sender, "name", ""), "failure")


@task_retry.connect
def _count_retry(sender=None, **kwargs):
    _count_task(getattr(sender, "name", ""), "retry")


def task_trace_carrier(request) -> dict[str, str]:
    """The trace headers a task message carries: custom headers are attributes of the request
    (protocol 2), or in its `headers` when the task was applied locally."""
    carrier = {}
    for name in ("traceparent", "tracestate"):
        value = getattr(request, name, None) or (getattr(request, "headers", None) or {}).get(name)
        if isinstance(value, str) and value:
            carrier[name] = value
    return carrier
