import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evals.services.golden import golden_export_lines, golden_import, suite_get
from melmastoon_ai.errors import ApplicationError


class Command(BaseCommand):
    help = "Import or export a suite's golden cases as JSONL (one case a line)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["import", "export"])
        parser.add_argument("suite", help="the suite key, e.g. EVAL_PRICING_001")
        parser.add_argument("path", nargs="?", default="-", help="the JSONL file; - for stdin/stdout")
        parser.add_argument("--replace", action="store_true", help="import: disable cases missing from the file")
        parser.add_argument("--include-disabled", action="store_true", help="export: disabled cases too")

    def handle(self, *args, action, suite, path, replace, include_disabled, **options):
        try:
            found = suite_get(key=suite)
            if action == "export":
                text = "".join(
                    f"{line}\n" for line in golden_export_lines(suite=found, include_disabled=include_disabled)
                )
                if path == "-":
                    self.stdout.write(text, ending="")
                else:
                    Path(path).write_text(text, encoding="utf-8")
                return
            lines = sys.stdin if path == "-" else Path(path).read_text(encoding="utf-8").splitlines()
            result = golden_import(suite=found, lines=lines, replace=replace)
        except ApplicationError as exc:
            problems = "\n".join(exc.details.get("problems", []))
            raise CommandError(f"{exc.message}\n{problems}".strip()) from exc
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{found.key}: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.disabled} disabled"
        )
