"""The Celery app: Redis broker, django-celery-beat schedules (editable in Django admin)."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "melmastoon_ai.settings.base")

app = Celery("melmastoon_ai")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _bind_task_request_id(task_id=None, task=None, **kwargs):
    from melmastoon_ai.observability.context import bind_request_id

    task.request.melmastoon_token = bind_request_id(f"task-{task_id}")


@task_postrun.connect
def _unbind_task_request_id(task_id=None, task=None, **kwargs):
    from melmastoon_ai.observability.context import unbind_request_id

    token = getattr(task.request, "melmastoon_token", None)
    if token is not None:
        unbind_request_id(token)
