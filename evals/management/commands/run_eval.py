from django.core.management.base import BaseCommand, CommandError

from evals.models import EvalRun
from evals.services.runs import eval_run_create, eval_run_execute
from evals.services.shadow import eval_shadow_run_create
from melmastoon_ai.errors import ApplicationError

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Run (or resume) an eval suite here, in this process, with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("suite", nargs="?", help="the suite key, e.g. EVAL_PRICING_001")
        parser.add_argument("--prompt-version", default=None, help="default: the active version")
        parser.add_argument("--model", default="", help="evaluate this model alone (then the fallback)")
        parser.add_argument("--resume", metavar="RUN_ID", help="continue an unfinished run instead")
        parser.add_argument(
            "--shadow",
            type=int,
            metavar="N",
            default=None,
            help="a shadow run: replay N of last week's production inferences with --prompt-version",
        )

    def handle(self, *args, suite, prompt_version, model, resume, shadow, **options):
        if bool(suite) == bool(resume):
            raise CommandError("give a suite key, or --resume RUN_ID")
        try:
            if resume:
                run = EvalRun.objects.filter(pk=resume).first()
                if run is None:
                    raise CommandError(f"no eval run {resume}")
            elif shadow is not None:
                run = eval_shadow_run_create(
                    suite_key=suite,
                    prompt_version=prompt_version,
                    sample_size=shadow,
                    started_by="command:run_eval",
                    enqueue=False,
                )
            else:
                run = eval_run_create(
                    suite_key=suite,
                    prompt_version=prompt_version,
                    model_name=model,
                    started_by="command:run_eval",
                    enqueue=False,
                )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"run {run.id}: {run.suite.key} "
            f"{run.prompt_version.label if run.prompt_version else '(no prompt)'} "
            f"{run.model_name or '(capability chain)'}, {run.cases_total} cases"
        )
        run = eval_run_execute(run_id=run.id, progress=self._progress)
        self.stdout.write("")
        self.stdout.write(f"{run.status} {run.verdict or ''}".strip())
        for name, value in sorted(run.metrics.items()):
            self.stdout.write(f"  {name:<20} {value:g}")
        if run.notes:
            self.stdout.write(run.notes)
        if run.error:
            raise CommandError(run.error)

    def _progress(self, done: int, total: int) -> None:
        """A bar redrawn in place on a terminal; one line per case otherwise (logs, CI)."""
        filled = BAR_WIDTH * done // max(total, 1)
        bar = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total}"
        if self.stdout.isatty():
            self.stdout.write(f"\r{bar}", ending="")
        else:
            self.stdout.write(bar)
        self.stdout.flush()
