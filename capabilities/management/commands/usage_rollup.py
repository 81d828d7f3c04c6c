"""`manage.py usage_rollup [--from DAY --to DAY]`: roll the usage facts up now.

Without a range: what the hourly beat task does (from the high-water mark to yesterday). With
one: rebuild those days' rollup rows (after a backfill or a correction of facts); the mark only
moves forward over a gapless run of rolled days, and never past yesterday."""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from capabilities.reporting.rollup import usage_rollup_days


def _day(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a day (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = "Roll ai_calls_fact up into the daily rollup the usage report reads (all tenants, audited)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="day_from", help="first day to rebuild (YYYY-MM-DD)")
        parser.add_argument("--to", dest="day_to", help="last day to rebuild (default: yesterday)")

    def handle(self, *args, day_from=None, day_to=None, **options):
        first, last = _day(day_from), _day(day_to)
        if last is not None and first is None:
            raise CommandError("--to needs --from")
        if first is not None and last is not None and first > last:
            raise CommandError("--from is after --to")
        self.stdout.write(json.dumps(usage_rollup_days(day_from=first, day_to=last)))
