"""Strict rendering, and the sticky-by-tenant canary rollout that `prompt_version_for` serves."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from django.utils import timezone

from evals.models import EvalRun, EvalSuite
from evals.services.promotion import prompt_version_promote
from prompts.models import PromptVersion
from prompts.rendering import PromptRenderError, check_templates, render, template_variables
from prompts.selectors import PROMPT_CACHE, prompt_version_for, tenant_bucket
from prompts.services import (
    prompt_create,
    prompt_version_create_draft,
    prompt_version_retire,
    prompt_version_seed,
    prompt_version_start_canary,
    prompt_version_stop_canary,
)

KEY = "PRMP_ROLLOUT_001"
SYSTEM = "Write for ${hotel}."
USER = "Dear ${guest}, the room costs $$${price}."
VARIABLES = ["guest", "hotel", "price"]


def rendered(values: dict, *, system: str = SYSTEM, user: str = USER, variables: list[str] = VARIABLES):
    return render(system_template=system, user_template=user, variables=variables, values=values)


def independent_bucket(tenant_id, prompt_key: str) -> int:
    digest = hashlib.sha256(f"{tenant_id}:{prompt_key}".encode()).hexdigest()
    return int(digest[:16], 16) % 100


# --- rendering ------------------------------------------------------------------------------------


def test_rendering_substitutes_every_declared_variable():
    result = rendered({"hotel": "Hotel Alborz", "guest": "Mina", "price": 120})
    assert result.system == "Write for Hotel Alborz."
    assert result.user == "Dear Mina, the room costs $120."


def test_a_double_dollar_renders_as_one_dollar_sign():
    result = render(system_template="Only $$ here", user_template="$$$$ and $${literal}", variables=[], values={})
    assert (result.system, result.user) == ("Only $ here", "$$ and ${literal}")


def test_a_missing_variable_is_an_error_never_an_empty_string():
    with pytest.raises(PromptRenderError, match=r"missing prompt variables: \['price'\]"):
        rendered({"hotel": "Hotel Alborz", "guest": "Mina"})


def test_an_undeclared_variable_is_an_error():
    with pytest.raises(PromptRenderError, match=r"undeclared prompt variables: \['room'\]"):
        rendered({"hotel": "H", "guest": "G", "price": 1, "room": "101"})


@pytest.mark.parametrize(
    "user, problem",
    [
        ("Dear ${guest} in ${room}", r"undeclared variables: \['room'\]"),
        ("Costs $ 5", "malformed placeholder"),
    ],
)
def test_a_template_that_does_not_match_its_variables_is_a_render_error(user, problem):
    with pytest.raises(PromptRenderError, match=problem):
        rendered({"hotel": "H", "guest": "G", "price": 1}, user=user)


def test_values_are_inserted_literally_and_never_expanded_again():
    result = rendered({"hotel": "${guest}", "guest": "$price", "price": "$$"})
    assert result.system == "Write for ${guest}."
    assert result.user == "Dear $price, the room costs $$$."


def test_template_variables_lists_both_placeholder_forms():
    assert template_variables("${a} and $b, not $$c") == {"a", "b"}


@pytest.mark.parametrize("template", ["costs $ 5", "${unclosed", "${1abc}"])
def test_a_malformed_placeholder_is_refused(template):
    with pytest.raises(PromptRenderError, match="malformed placeholder"):
        template_variables(template)


def test_check_templates_accepts_exactly_the_declared_variables():
    check_templates(system_template=SYSTEM, user_template=USER, variables=VARIABLES)
    with pytest.raises(PromptRenderError, match="undeclared"):
        check_templates(system_template=SYSTEM, user_template=USER, variables=["guest", "hotel"])
    with pytest.raises(PromptRenderError, match="never used"):
        check_templates(system_template=SYSTEM, user_template=USER, variables=[*VARIABLES, "locale"])


# --- buckets --------------------------------------------------------------------------------------


def test_a_tenant_bucket_is_stable_and_matches_an_independent_sha256():
    tenant = uuid.UUID("1f0e3c52-8a57-4c1e-9b1c-2d3f4a5b6c7d")
    buckets = {tenant_bucket(tenant, KEY) for _ in range(5)} | {tenant_bucket(str(tenant), KEY)}
    assert buckets == {independent_bucket(tenant, KEY)}
    assert 0 <= buckets.pop() <= 99


def test_a_tenant_keeps_its_bucket_however_its_id_is_spelled():
    tenant = uuid.uuid4()
    assert {tenant_bucket(tenant, KEY), tenant_bucket(str(tenant).upper(), KEY), tenant_bucket(tenant.hex, KEY)} == {
        independent_bucket(tenant, KEY)
    }


def test_buckets_are_independent_per_prompt():
    tenants = [uuid.uuid4() for _ in range(200)]
    same = sum(tenant_bucket(t, "PRMP_A_001") == tenant_bucket(t, "PRMP_B_001") for t in tenants)
    assert same < 20  # about 2 expected by chance; equal buckets would send a tenant to every canary


def test_buckets_are_roughly_uniform():
    tenants = [uuid.uuid4() for _ in range(2000)]
    share = sum(tenant_bucket(t, KEY) < 5 for t in tenants) / len(tenants)
    assert 0.03 <= share <= 0.07
    assert len({tenant_bucket(t, KEY) for t in tenants}) == 100


# --- rollout --------------------------------------------------------------------------------------


@pytest.fixture
def versions(db):
    prompt = prompt_create(key=KEY, domain="ROLLOUT")
    active = prompt_version_seed(
        prompt=prompt,
        version="1.0.0",
        system_template=SYSTEM,
        user_template=USER,
        variables=VARIABLES,
        model_parameters={"temperature": 0.2},
    )
    candidate = prompt_version_create_draft(
        prompt_key=KEY, version="1.1.0", system_template="New: " + SYSTEM, user_template=USER, variables=VARIABLES
    )
    return active, candidate


def served(tenants, key: str = KEY) -> dict:
    return {
        tenant: getattr(prompt_version_for(tenant_id=tenant, prompt_key=key), "version", None) for tenant in tenants
    }


def test_without_a_canary_everyone_gets_the_active_version(versions):
    spec = prompt_version_for(tenant_id=uuid.uuid4(), prompt_key=KEY)
    assert (spec.version, spec.status, spec.is_canary) == ("1.0.0", "active", False)
    assert spec.variables == tuple(VARIABLES) and spec.model_parameters == {"temperature": 0.2}
    assert prompt_version_for(tenant_id=uuid.uuid4(), prompt_key="PRMP_UNKNOWN_001") is None


def test_a_plain_draft_is_never_served(versions):
    tenants = [uuid.uuid4() for _ in range(100)]
    assert set(served(tenants).values()) == {"1.0.0"}


@pytest.mark.parametrize("percent", [5, 30])
def test_tenants_in_the_canary_bucket_get_the_canary_and_the_others_the_active_version(
    versions, percent, django_capture_on_commit_callbacks
):
    _, candidate = versions
    tenants = [uuid.uuid4() for _ in range(300)]
    with django_capture_on_commit_callbacks(execute=True):
        prompt_version_start_canary(version_id=candidate.id, percent=percent)
    expected = {tenant: "1.1.0" if independent_bucket(tenant, KEY) < percent else "1.0.0" for tenant in tenants}
    assert served(tenants) == expected
    assert served(tenants) == expected  # sticky: the same answer on every call
    assert "1.1.0" in expected.values() and "1.0.0" in expected.values()
    canary = prompt_version_for(tenant_id=next(t for t, v in expected.items() if v == "1.1.0"), prompt_key=KEY)
    assert (canary.is_canary, canary.canary_percent, canary.status) == (True, percent, "draft")


def test_stopping_the_canary_returns_everyone_to_the_active_version(versions, django_capture_on_commit_callbacks):
    _, candidate = versions
    tenants = [uuid.uuid4() for _ in range(300)]
    with django_capture_on_commit_callbacks(execute=True):
        prompt_version_start_canary(version_id=candidate.id, percent=50)
    assert set(served(tenants).values()) == {"1.0.0", "1.1.0"}
    with django_capture_on_commit_callbacks(execute=True):
        prompt_version_stop_canary(version_id=candidate.id)
    assert set(served(tenants).values()) == {"1.0.0"}


def test_retiring_the_canary_returns_everyone_to_the_active_version(versions, django_capture_on_commit_callbacks):
    _, candidate = versions
    tenants = [uuid.uuid4() for _ in range(200)]
    with django_capture_on_commit_callbacks(execute=True):
        prompt_version_start_canary(version_id=candidate.id, percent=50)
        prompt_version_retire(version_id=candidate.id)
    assert set(served(tenants).values()) == {"1.0.0"}


def test_after_promotion_everyone_gets_the_new_version(versions, settings, django_capture_on_commit_callbacks):
    settings.PROMPT_CANARY_REVIEW_DAYS = 0
    active, candidate = versions
    suite = EvalSuite.objects.create(key="EVAL_ROLLOUT_001", capability_id="rollout.test")
    for version in (active, candidate):  # the gate compares the candidate's run with the active one's
        EvalRun.objects.create(
            suite=suite, prompt_version=version, status="finished", verdict="pass", finished_at=timezone.now()
        )
    tenants = [uuid.uuid4() for _ in range(200)]
    with django_capture_on_commit_callbacks(execute=True):
        prompt_version_start_canary(version_id=candidate.id, percent=10)
    with django_capture_on_commit_callbacks(execute=True):
        prompt_version_promote(version_id=candidate.id)
    assert set(served(tenants).values()) == {"1.1.0"}
    assert PromptVersion.objects.get(pk=active.pk).status == "deprecated"


def test_rollout_reads_change_only_when_the_change_commits(versions, django_capture_on_commit_callbacks):
    _, candidate = versions
    tenants = [uuid.uuid4() for _ in range(200)]
    assert set(served(tenants).values()) == {"1.0.0"}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        prompt_version_start_canary(version_id=candidate.id, percent=50)
    assert set(served(tenants).values()) == {"1.0.0"}  # cached; the change has not committed
    assert callbacks
    PROMPT_CACHE.invalidate()
    assert set(served(tenants).values()) == {"1.0.0", "1.1.0"}
