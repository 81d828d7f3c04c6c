"""The prompt lifecycle: drafts, canaries, eval-gated promotion, deprecation, retirement, and the
database guard that holds the lifecycle even when code goes around the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from evals.models import EvalRun, EvalSuite
from evals.services.promotion import check_promotion, prompt_version_promote
from melmastoon_ai.errors import ApplicationError, NotFound
from prompts.models import PromptVersion
from prompts.selectors import PROMPT_CACHE, prompt_version_for
from prompts.services import (
    LifecycleRefused,
    prompt_create,
    prompt_version_create_draft,
    prompt_version_deprecate,
    prompt_version_retire,
    prompt_version_start_canary,
    prompt_version_stop_canary,
)
from tests.factories import canary_served

pytestmark = pytest.mark.django_db

KEY = "PRMP_TEST_001"
SYSTEM = "You write for ${hotel}. Quote prices like $$120."
USER = "Guest: ${guest}"
VARIABLES = ["guest", "hotel"]
GOOD_METRICS = {"schema_valid_rate": 0.98, "latency_p95_ms": 1200}
Status = PromptVersion.Status


def draft(version: str, **overrides) -> PromptVersion:
    fields = {"system_template": SYSTEM, "user_template": USER, "variables": VARIABLES} | overrides
    return prompt_version_create_draft(prompt_key=KEY, version=version, **fields)


def record_run(
    version: PromptVersion,
    suite: EvalSuite,
    *,
    verdict: str = "pass",
    metrics: dict | None = None,
    status: str = EvalRun.Status.FINISHED,
    finished_at: dt.datetime | None = None,
) -> EvalRun:
    finished = finished_at or (timezone.now() if status == EvalRun.Status.FINISHED else None)
    return EvalRun.objects.create(
        suite=suite,
        prompt_version=version,
        status=status,
        verdict=verdict,
        metrics=GOOD_METRICS if metrics is None else metrics,
        finished_at=finished,
    )


def refusal_reasons(version_id: int, **kwargs) -> list[str]:
    with pytest.raises(LifecycleRefused) as refused:
        prompt_version_promote(version_id=version_id, **kwargs)
    assert refused.value.status == 409
    assert refused.value.code == "lifecycle_refused"
    return refused.value.details["reasons"]


def successor(version: str) -> PromptVersion:
    """A draft meant to replace the active version, having served its canary review period."""
    return canary_served(draft(version))


def reload(version: PromptVersion) -> PromptVersion:
    return PromptVersion.objects.get(pk=version.pk)


@pytest.fixture
def suite(db):
    return EvalSuite.objects.create(
        key="EVAL_TEST_001",
        capability_id="test.write",
        thresholds={"schema_valid_rate": {"min": 0.9}, "latency_p95_ms": {"max": 3000}},
        tolerances={"schema_valid_rate": 0.05, "latency_p95_ms": 100},
    )


@pytest.fixture
def prompt(db):
    return prompt_create(key=KEY, domain="TEST", description="a prompt for tests")


@pytest.fixture
def active(prompt, suite):
    """Version 1.0.0, promoted through the gate like any other version."""
    version = draft("1.0.0")
    record_run(version, suite)
    return prompt_version_promote(version_id=version.id)


# --- drafts -------------------------------------------------------------------------------------


def test_a_new_version_starts_as_a_draft_with_sorted_unique_variables(prompt):
    version = draft("0.1.0", variables=["hotel", "guest", "hotel"])
    assert (version.status, version.variables, version.canary_percent) == (Status.DRAFT, ["guest", "hotel"], None)
    assert version.label == f"{KEY}@0.1.0"


@pytest.mark.parametrize("text", ["1.0", "v1.0.0", "1.0.0-beta", "01.0.0", "1.0.0.0", "1.0.0\n", ""])
def test_a_version_that_is_not_plain_semver_is_refused(prompt, text):
    with pytest.raises(ApplicationError, match="not a semantic version"):
        draft(text)
    assert not prompt.versions.exists()


@pytest.mark.parametrize("text", ["1.0.0", "0.9.9", "1.1.9"])
def test_a_draft_must_be_greater_than_every_existing_version(prompt, text):
    draft("1.0.0")
    draft("1.2.0")
    with pytest.raises(ApplicationError, match=r"must be greater than 1\.2\.0") as refused:
        draft(text)
    assert refused.value.status == 409
    assert prompt.versions.count() == 2


def test_versions_compare_numerically_not_as_text(prompt):
    draft("1.9.0")
    assert draft("1.10.0").version == "1.10.0"


@pytest.mark.parametrize(
    "overrides, problem",
    [
        ({"user_template": "Guest: ${guest} in ${room}"}, "undeclared variables: ['room']"),
        ({"variables": ["guest", "hotel", "locale"]}, "declared variables never used: ['locale']"),
        ({"system_template": "Costs $ 5 for ${hotel}"}, "malformed placeholder"),
    ],
)
def test_templates_are_strict_about_variables(prompt, overrides, problem):
    with pytest.raises(ApplicationError) as refused:
        draft("1.0.0", **overrides)
    assert problem in refused.value.message
    assert refused.value.details == {"field": "templates"}
    assert not prompt.versions.exists()


def test_a_draft_of_an_unknown_prompt_is_not_found(db):
    with pytest.raises(NotFound):
        prompt_version_create_draft(
            prompt_key="PRMP_NOPE_001", version="1.0.0", system_template="x", user_template="y", variables=[]
        )


@pytest.mark.parametrize("key", ["PRMP_test_001", "PRICING_001", "PRMP_TEST_1", "PRMP_TEST_001\n"])
def test_prompt_keys_follow_the_registry_pattern(db, key):
    with pytest.raises(ApplicationError, match="not a prompt key"):
        prompt_create(key=key, domain="TEST")


def test_a_prompt_key_is_registered_once(prompt):
    with pytest.raises(ApplicationError, match="already exists") as refused:
        prompt_create(key=KEY, domain="TEST")
    assert (refused.value.status, refused.value.code) == (409, "conflict")


# --- canaries -----------------------------------------------------------------------------------


def test_a_draft_starts_a_canary_with_its_percent_and_start_time(active):
    candidate = draft("1.1.0")
    before = timezone.now()
    started = prompt_version_start_canary(version_id=candidate.id, percent=20)
    stored = reload(candidate)
    assert (started.canary_percent, stored.canary_percent, stored.status) == (20, 20, Status.DRAFT)
    assert before <= stored.canary_started_at <= timezone.now()


def test_only_a_draft_can_run_as_a_canary(active):
    with pytest.raises(LifecycleRefused, match="only a draft can run as a canary"):
        prompt_version_start_canary(version_id=active.id)
    assert reload(active).canary_percent is None


def test_a_prompt_runs_one_canary_at_a_time(active):
    first, second = draft("1.1.0"), draft("1.2.0")
    prompt_version_start_canary(version_id=first.id)
    with pytest.raises(LifecycleRefused, match=r"1\.1\.0 is already the canary"):
        prompt_version_start_canary(version_id=second.id)
    assert reload(second).canary_percent is None
    prompt_version_stop_canary(version_id=first.id)
    assert prompt_version_start_canary(version_id=second.id).canary_percent == 5


@pytest.mark.parametrize("percent, accepted", [(0, False), (1, True), (50, True), (51, False), (-5, False)])
def test_canary_percent_is_between_1_and_50(active, percent, accepted):
    candidate = draft("1.1.0")
    if accepted:
        assert prompt_version_start_canary(version_id=candidate.id, percent=percent).canary_percent == percent
    else:
        with pytest.raises(ApplicationError, match="between 1 and 50"):
            prompt_version_start_canary(version_id=candidate.id, percent=percent)
        assert reload(candidate).canary_percent is None


def test_stopping_a_canary_clears_it_and_refuses_when_none_runs(active):
    candidate = draft("1.1.0")
    prompt_version_start_canary(version_id=candidate.id)
    stopped = prompt_version_stop_canary(version_id=candidate.id)
    assert (stopped.canary_percent, stopped.status) == (None, Status.DRAFT)
    with pytest.raises(LifecycleRefused, match="not running as a canary"):
        prompt_version_stop_canary(version_id=candidate.id)


def test_a_stopped_canary_cannot_skip_its_review_by_being_promoted(active, suite):
    candidate = draft("1.1.0")
    record_run(candidate, suite)
    prompt_version_start_canary(version_id=candidate.id)
    first_start = reload(candidate).canary_started_at
    prompt_version_stop_canary(version_id=candidate.id)
    later = first_start + dt.timedelta(days=30)
    assert refusal_reasons(candidate.id, now=later) == [
        "its canary was stopped before the review period ended; restart the canary"
    ]
    prompt_version_start_canary(version_id=candidate.id)
    restarted = reload(candidate).canary_started_at
    assert restarted > first_start
    assert "0 of 7 days" in refusal_reasons(candidate.id, now=restarted)[0]


def test_lifecycle_changes_of_an_unknown_version_are_not_found(db):
    with pytest.raises(NotFound):
        prompt_version_start_canary(version_id=987654)
    with pytest.raises(NotFound):
        prompt_version_promote(version_id=987654)


# --- promotion ----------------------------------------------------------------------------------


def test_promotion_without_a_finished_evaluation_run_is_refused(active, suite):
    candidate = successor("1.1.0")
    assert refusal_reasons(candidate.id) == ["no finished evaluation run is recorded for this version"]
    for status in (EvalRun.Status.QUEUED, EvalRun.Status.RUNNING, EvalRun.Status.FAILED):
        record_run(candidate, suite, status=status)
    assert "no finished evaluation run" in refusal_reasons(candidate.id)[0]
    assert reload(candidate).status == Status.DRAFT
    assert reload(active).status == Status.ACTIVE


def test_promotion_is_refused_when_the_latest_run_failed(active, suite):
    candidate = successor("1.1.0")
    record_run(candidate, suite, finished_at=timezone.now() - dt.timedelta(hours=2))
    failed = record_run(candidate, suite, verdict="fail", finished_at=timezone.now() - dt.timedelta(hours=1))
    assert refusal_reasons(candidate.id) == [f"its latest evaluation run ({failed.id}) did not pass"]
    assert reload(candidate).status == Status.DRAFT


def test_a_finished_run_without_a_finish_time_does_not_shadow_the_latest_run(active, suite):
    """PostgreSQL sorts NULLs first in a descending order; the gate must still pick the latest run."""
    candidate = draft("1.1.0")
    record_run(candidate, suite, verdict="fail", finished_at=timezone.now())
    EvalRun.objects.create(
        suite=suite,
        prompt_version=candidate,
        status=EvalRun.Status.FINISHED,
        verdict="pass",
        metrics=GOOD_METRICS,
        finished_at=None,
    )
    assert any("did not pass" in reason for reason in refusal_reasons(candidate.id))


def test_promotion_is_refused_metric_by_metric_when_worse_than_the_active_version(active, suite):
    record_run(active, suite, metrics={"schema_valid_rate": 0.99, "latency_p95_ms": 1000})
    candidate = successor("1.1.0")
    record_run(candidate, suite, metrics={"schema_valid_rate": 0.92, "latency_p95_ms": 1500})
    reasons = refusal_reasons(candidate.id)
    assert reasons == [
        "latency_p95_ms: worse than the active version by 500 (tolerance 100)",
        "schema_valid_rate: worse than the active version by 0.07 (tolerance 0.05)",
    ]
    decision = check_promotion(reload(candidate))
    assert [(row.metric, row.ok) for row in decision.comparisons] == [
        ("latency_p95_ms", False),
        ("schema_valid_rate", False),
    ]
    assert decision.active_run.prompt_version_id == active.id


def test_promotion_within_or_exactly_at_the_tolerance_is_allowed(active, suite):
    record_run(active, suite, metrics={"schema_valid_rate": 0.99, "latency_p95_ms": 1000})
    candidate = successor("1.1.0")
    # 0.99 - 0.94 is 0.05000000000000004 in floating point: still "exactly" the tolerance
    record_run(candidate, suite, metrics={"schema_valid_rate": 0.94, "latency_p95_ms": 1100})
    decision = check_promotion(reload(candidate))
    assert (decision.allowed, decision.reasons) == (True, [])
    assert prompt_version_promote(version_id=candidate.id).status == Status.ACTIVE


def test_one_metric_worse_is_named_alone(active, suite):
    record_run(active, suite, metrics={"schema_valid_rate": 0.99, "latency_p95_ms": 1000})
    candidate = successor("1.1.0")
    record_run(candidate, suite, metrics={"schema_valid_rate": 0.99, "latency_p95_ms": 1101})
    assert refusal_reasons(candidate.id) == ["latency_p95_ms: worse than the active version by 101 (tolerance 100)"]


@pytest.mark.parametrize(
    "metrics, reason",
    [
        ({"schema_valid_rate": 0.85, "latency_p95_ms": 1000}, "schema_valid_rate: 0.85 below the minimum 0.9"),
        ({"schema_valid_rate": 0.99, "latency_p95_ms": 3500}, "latency_p95_ms: 3500 above the maximum 3000"),
        ({"latency_p95_ms": 1000}, "schema_valid_rate: metric missing from the run"),
    ],
)
def test_promotion_is_refused_below_the_suite_thresholds_even_without_an_active_run(prompt, suite, metrics, reason):
    candidate = draft("1.0.0")
    record_run(candidate, suite, metrics=metrics)
    assert refusal_reasons(candidate.id) == [reason]


def test_a_run_may_carry_its_own_thresholds(prompt, suite):
    candidate = draft("1.0.0")
    EvalRun.objects.create(
        suite=suite,
        prompt_version=candidate,
        status="finished",
        verdict="pass",
        metrics={"acceptance_rate": 0.5},
        thresholds={"acceptance_rate": {"min": 0.7}},
        finished_at=timezone.now(),
    )
    assert refusal_reasons(candidate.id) == ["acceptance_rate: 0.5 below the minimum 0.7"]


def test_promotion_is_refused_during_the_canary_review_period_and_allowed_after_it(active, suite):
    candidate = draft("1.1.0")
    record_run(candidate, suite)
    prompt_version_start_canary(version_id=candidate.id, percent=5)
    started = reload(candidate).canary_started_at
    reasons = refusal_reasons(candidate.id, now=started + dt.timedelta(days=6, hours=23))
    assert reasons == ["canary review period not over: 6 of 7 days served"]
    assert reload(candidate).canary_percent == 5
    promoted = prompt_version_promote(version_id=candidate.id, now=started + dt.timedelta(days=7))
    assert (promoted.status, promoted.canary_percent) == (Status.ACTIVE, None)


def test_the_review_period_comes_from_settings(active, suite, settings):
    settings.PROMPT_CANARY_REVIEW_DAYS = 2
    candidate = draft("1.1.0")
    record_run(candidate, suite)
    prompt_version_start_canary(version_id=candidate.id)
    started = reload(candidate).canary_started_at
    assert "1 of 2 days" in refusal_reasons(candidate.id, now=started + dt.timedelta(days=1))[0]
    assert prompt_version_promote(version_id=candidate.id, now=started + dt.timedelta(days=2)).status == "active"


def test_promotion_deprecates_the_previous_active_version(active, suite):
    record_run(active, suite)
    candidate = successor("1.1.0")
    record_run(candidate, suite)
    moment = timezone.now() + dt.timedelta(minutes=5)
    promoted = prompt_version_promote(version_id=candidate.id, now=moment)
    assert (promoted.status, promoted.activated_at) == (Status.ACTIVE, moment)
    previous = reload(active)
    assert (previous.status, previous.deprecated_at) == (Status.DEPRECATED, moment)
    assert list(active.prompt.versions.filter(status=Status.ACTIVE)) == [reload(candidate)]


def test_a_deprecated_version_can_be_promoted_back_as_a_rollback(active, suite):
    candidate = successor("1.1.0")
    record_run(candidate, suite)
    prompt_version_promote(version_id=candidate.id)
    record_run(active, suite)
    restored = prompt_version_promote(version_id=active.id)
    assert (restored.status, reload(restored).deprecated_at) == (Status.ACTIVE, None)
    assert reload(candidate).status == Status.DEPRECATED


@pytest.mark.parametrize("transition", ["promote", "retire"])
def test_an_active_version_cannot_be_promoted_or_retired(active, suite, transition):
    record_run(active, suite)
    if transition == "promote":
        assert refusal_reasons(active.id)[0].endswith("only a draft or deprecated version can be promoted")
    else:
        with pytest.raises(LifecycleRefused, match="only a draft or deprecated version can be retired"):
            prompt_version_retire(version_id=active.id)
    assert reload(active).status == Status.ACTIVE


def test_only_the_active_version_can_be_deprecated(active):
    candidate = draft("1.1.0")
    with pytest.raises(LifecycleRefused, match="only the active version can be deprecated"):
        prompt_version_deprecate(version_id=candidate.id)
    deprecated = prompt_version_deprecate(version_id=active.id)
    assert deprecated.status == Status.DEPRECATED and deprecated.deprecated_at is not None
    with pytest.raises(LifecycleRefused):
        prompt_version_deprecate(version_id=active.id)


def test_drafts_and_deprecated_versions_retire_and_stay_retired(active, suite):
    canary = draft("1.1.0")
    prompt_version_start_canary(version_id=canary.id)
    retired_canary = prompt_version_retire(version_id=canary.id)
    assert (retired_canary.status, retired_canary.canary_percent) == (Status.RETIRED, None)
    assert retired_canary.retired_at is not None
    prompt_version_deprecate(version_id=active.id)
    assert prompt_version_retire(version_id=active.id).status == Status.RETIRED
    with pytest.raises(LifecycleRefused):
        prompt_version_retire(version_id=active.id)
    record_run(reload(active), suite)
    assert "retired" in refusal_reasons(active.id)[0]


def test_a_retired_version_is_never_served(active, tenant_a, django_capture_on_commit_callbacks):
    assert prompt_version_for(tenant_id=tenant_a.id, prompt_key=KEY).version == "1.0.0"
    with django_capture_on_commit_callbacks(execute=True):
        prompt_version_deprecate(version_id=active.id)
    assert prompt_version_for(tenant_id=tenant_a.id, prompt_key=KEY) is None
    with django_capture_on_commit_callbacks(execute=True):
        prompt_version_retire(version_id=active.id)
    assert prompt_version_for(tenant_id=tenant_a.id, prompt_key=KEY) is None


# --- the database holds the line without the services -----------------------------------------


def test_the_database_refuses_a_second_active_version(active):
    other = draft("1.1.0")
    with pytest.raises(IntegrityError, match="one_active_version_per_prompt"), transaction.atomic():
        PromptVersion.objects.filter(pk=other.pk).update(status=Status.ACTIVE)
    with pytest.raises(IntegrityError, match="one_active_version_per_prompt"), transaction.atomic():
        PromptVersion.objects.create(
            prompt=active.prompt,
            version="2.0.0",
            system_template=SYSTEM,
            user_template=USER,
            variables=VARIABLES,
            status=Status.ACTIVE,
        )
    assert active.prompt.versions.filter(status=Status.ACTIVE).count() == 1


def test_the_database_refuses_a_second_canary_and_a_canary_that_is_not_a_draft(active):
    first, second = draft("1.1.0"), draft("1.2.0")
    PromptVersion.objects.filter(pk=first.pk).update(canary_percent=5)
    with pytest.raises(IntegrityError, match="one_canary_per_prompt"), transaction.atomic():
        PromptVersion.objects.filter(pk=second.pk).update(canary_percent=5)
    with pytest.raises(IntegrityError, match="only_drafts_run_as_canary"), transaction.atomic():
        PromptVersion.objects.filter(pk=active.pk).update(canary_percent=10)


@pytest.mark.parametrize(
    "start, target",
    [
        ("active", "draft"),
        ("active", "retired"),
        ("deprecated", "draft"),
        ("retired", "active"),
        ("retired", "draft"),
        ("retired", "deprecated"),
        ("draft", "deprecated"),
    ],
)
def test_the_database_refuses_illegal_status_transitions(active, start, target):
    version = draft("1.1.0")
    path = {"draft": [], "active": ["active"], "deprecated": ["active", "deprecated"], "retired": ["retired"]}[start]
    if start != "draft":
        PromptVersion.objects.filter(pk=active.pk).update(status=Status.DEPRECATED)
    for step in path:
        PromptVersion.objects.filter(pk=version.pk).update(status=step)
    with (
        pytest.raises((IntegrityError, DatabaseError), match=f"cannot go from {start} to {target}"),
        transaction.atomic(),
    ):
        PromptVersion.objects.filter(pk=version.pk).update(status=target)
    assert reload(version).status == start


@pytest.mark.parametrize("status", ["active", "deprecated", "retired"])
def test_the_database_keeps_released_text_immutable(active, status):
    if status != "active":
        prompt_version_deprecate(version_id=active.id)
    if status == "retired":
        prompt_version_retire(version_id=active.id)
    for change in (
        {"system_template": "Something else for ${hotel}."},
        {"variables": ["guest"]},
        {"version": "1.0.1"},
        {"model_parameters": {"temperature": 1}},
    ):
        with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
            PromptVersion.objects.filter(pk=active.pk).update(**change)
    assert reload(active).system_template == SYSTEM


def test_a_draft_stays_editable_in_the_database(prompt):
    version = draft("1.0.0")
    PromptVersion.objects.filter(pk=version.pk).update(system_template="New text for ${hotel}.")
    assert reload(version).system_template == "New text for ${hotel}."


def test_prompt_reads_are_cached_until_the_cache_is_invalidated(active, tenant_a):
    """A direct database write is invisible to a cached read until the cache is invalidated."""
    assert prompt_version_for(tenant_id=tenant_a.id, prompt_key=KEY).version == "1.0.0"
    PromptVersion.objects.filter(pk=active.pk).update(status=Status.DEPRECATED)
    assert prompt_version_for(tenant_id=tenant_a.id, prompt_key=KEY).version == "1.0.0"
    PROMPT_CACHE.invalidate()
    assert prompt_version_for(tenant_id=tenant_a.id, prompt_key=KEY) is None
