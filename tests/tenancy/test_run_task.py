"""`manage.py run_task`: how a scheduled Cloud Run Job runs what beat would otherwise enqueue."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def test_a_registered_task_runs_here_and_reports_done(capsys):
    call_command("run_task", "budgets.rollover")
    assert capsys.readouterr().out.strip() == "budgets.rollover: done"


def test_an_unknown_task_is_refused_with_the_registered_names():
    with pytest.raises(CommandError, match=r"no task 'budgets.reset'; registered: .*budgets.rollover"):
        call_command("run_task", "budgets.reset")


@pytest.mark.parametrize("kwargs", ["not json", "[1, 2]"])
def test_keyword_arguments_must_be_a_json_object(kwargs):
    with pytest.raises(CommandError, match="--kwargs"):
        call_command("run_task", "budgets.rollover", "--kwargs", kwargs)


def test_a_failing_task_fails_the_command():
    with pytest.raises(CommandError, match=r"outbox\.relay failed"):
        call_command("run_task", "outbox.relay", "--kwargs", '{"unexpected": 1}')
