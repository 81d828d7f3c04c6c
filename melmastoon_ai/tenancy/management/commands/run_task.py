"""Run one registered Celery task here, in this process, and wait for it: how a scheduled Cloud Run
Job (deploy/cloudrun/) does what beat would otherwise enqueue (seed 000: the budget resetter, the
eval runner). Exit status 1 when the task raised."""

import json

from django.core.management.base import BaseCommand, CommandError

from melmastoon_ai.celery import app


class Command(BaseCommand):
    help = "Run a Celery task by name in this process: `run_task budgets.rollover [--kwargs '{...}']`."

    def add_arguments(self, parser):
        parser.add_argument("task", help="the task's registered name")
        parser.add_argument("--kwargs", default="{}", help="keyword arguments as a JSON object")

    def handle(self, *args, task, kwargs, **options):
        app.loader.import_default_modules()
        if task not in app.tasks:
            known = sorted(name for name in app.tasks if not name.startswith("celery."))
            raise CommandError(f"no task {task!r}; registered: {', '.join(known)}")
        try:
            arguments = json.loads(kwargs)
        except json.JSONDecodeError as exc:
            raise CommandError(f"--kwargs is not JSON: {exc}") from exc
        if not isinstance(arguments, dict):
            raise CommandError("--kwargs must be a JSON object")
        result = app.tasks[task].apply(kwargs=arguments)
        if result.failed():
            raise CommandError(f"{task} failed: {result.result!r}")
        self.stdout.write(f"{task}: done")
