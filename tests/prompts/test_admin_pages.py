"""The registry in Django admin: changelists, the prompt version page (side by side, promotion gate),
lifecycle actions behind django-guardian object permissions, history, and the audited platform path."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from guardian.shortcuts import assign_perm

from evals.models import EvalRun, EvalSuite
from melmastoon_ai.tenancy.models import PlatformAccessLog
from prompts.models import Prompt, PromptVersion
from prompts.services import prompt_version_create_draft, prompt_version_start_canary
from tests.factories import canary_served, staff_login

pytestmark = pytest.mark.django_db

VERSIONS = "/admin/prompts/promptversion/"
KEY = "PRMP_PRICING_001"


def client_of(user) -> Client:
    client = Client()
    staff_login(client, user)
    return client


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def run_action(client: Client, action: str, *versions: PromptVersion) -> str:
    response = client.post(VERSIONS, {"action": action, "_selected_action": [v.pk for v in versions]}, follow=True)
    return page(response)


def reload(version: PromptVersion) -> PromptVersion:
    return PromptVersion.objects.get(pk=version.pk)


def passing_run(version: PromptVersion) -> EvalRun:
    """A passing run of `version`, and one of the active version to compare it with (the gate
    refuses to compare with an active version that has no conclusive run)."""
    active = PromptVersion.objects.filter(prompt=version.prompt, status="active").exclude(pk=version.pk).first()
    suite = EvalSuite.objects.get(key="EVAL_PRICING_001")
    # Both runs measure every metric the seeded suite gates on, at its threshold: equal, so no regression.
    metrics = {name: bound.get("min", bound.get("max", 0.0)) for name, bound in suite.thresholds.items()}
    metrics |= {name: metrics.get(name, 0.0) for name in suite.tolerances}
    if active is not None and not active.eval_runs.filter(verdict__in=["pass", "fail"]).exists():
        EvalRun.objects.create(
            suite=suite,
            prompt_version=active,
            status="finished",
            verdict="pass",
            metrics=metrics,
            finished_at=timezone.now(),
        )
    return EvalRun.objects.create(
        suite=suite,
        prompt_version=version,
        status="finished",
        verdict="pass",
        metrics=metrics,
        finished_at=timezone.now(),
    )


def version_form(base: PromptVersion, **changes) -> dict:
    """What the version form posts: `base`'s fields with `changes` applied."""
    return {
        "prompt": base.prompt_id,
        "version": base.version,
        "system_template": base.system_template,
        "user_template": base.user_template,
        "variables": ",".join(base.variables),
        "model_parameters": '{"temperature": 0.2}',
    } | changes


@pytest.fixture
def admin_client(superuser) -> Client:
    return client_of(superuser)


@pytest.fixture
def active(catalog) -> PromptVersion:
    return PromptVersion.objects.get(prompt__key=KEY, status="active")


@pytest.fixture
def candidate(active) -> PromptVersion:
    return prompt_version_create_draft(
        prompt_key=KEY,
        version="3.1.0",
        system_template="Be brief. " + active.system_template,
        user_template=active.user_template,
        variables=list(active.variables),
    )


@pytest.fixture
def engineer(staff_user):
    """Staff who can reach the prompt version pages (view and change), with no object permission."""
    staff_user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="prompts", codename__in=["view_promptversion", "change_promptversion"]
        )
    )
    return staff_user


# --- changelists --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, expected, absent",
    [
        ("/admin/capabilities/capability/?q=pricing", "pricing.suggest", "upsell.recommend"),
        ("/admin/routing/model/", "gemini-1.5-flash", None),
        ("/admin/routing/model/?q=claude", "claude-3-5-sonnet", "gemini-1.5-pro"),
        ("/admin/routing/model/?cost_class__exact=free&enabled__exact=1", "phi-3-mini", "claude-3-5-sonnet"),
        ("/admin/routing/modeldeployment/?environment__exact=staging&status__exact=ready", "0 model deployments", None),
        ("/admin/routing/provider/", "Vertex AI", None),
        ("/admin/prompts/prompt/?q=pricing", "PRMP_PRICING_002", "PRMP_UPSELL_001"),
        ("/admin/prompts/promptversion/?q=pricing", "PRMP_PRICING_001", "PRMP_UPSELL_001"),
        ("/admin/prompts/promptversion/?status__exact=active", "PRMP_UPSELL_001", None),
        ("/admin/prompts/promptversion/?status__exact=retired", "0 prompt versions", "PRMP_UPSELL_001"),
        ("/admin/prompts/promptversion/?prompt__domain=PRICING", "PRMP_PRICING_002", "PRMP_UPSELL_001"),
        ("/admin/evals/evalsuite/?q=pricing", "EVAL_PRICING_001", None),
        ("/admin/evals/evalrun/", "0 eval runs", None),
    ],
)
def test_registry_changelists_render_with_search_and_filters(admin_client, catalog, url, expected, absent):
    text = page(admin_client.get(url))
    assert expected in text
    if absent:
        assert absent not in text


def test_the_deployment_changelist_lists_registered_deployments(admin_client, catalog):
    call_command(
        "registry",
        "register",
        "phi-3-mini",
        "http://phi.system.svc.cluster.local/v1",
        "--environment",
        "staging",
        stdout=StringIO(),
    )
    text = page(admin_client.get("/admin/routing/modeldeployment/?q=phi"))
    assert "phi.system.svc.cluster.local" in text
    assert "phi-3-mini" in page(admin_client.get("/admin/routing/modeldeployment/?environment__exact=staging"))
    assert "phi-3-mini" not in page(admin_client.get("/admin/routing/modeldeployment/?environment__exact=production"))


def test_the_prompt_changelist_shows_the_active_version(admin_client, candidate):
    text = page(admin_client.get("/admin/prompts/prompt/?q=PRMP_PRICING_001"))
    assert "3.0.0" in text


# --- the prompt version page --------------------------------------------------------------------


def test_the_version_page_renders_both_versions_side_by_side(admin_client, active, candidate):
    text = page(admin_client.get(f"{VERSIONS}{candidate.pk}/change/"))
    assert "this version (3.1.0)" in text and "active 3.0.0" in text
    assert "Be brief. You are the revenue assistant" in text
    table = text.split("this version (3.1.0)")[1].split("</table>")[0]
    assert "(retrieved context)" in table and "${" not in table


def test_the_version_page_shows_the_promotion_gate(admin_client, candidate):
    text = page(admin_client.get(f"{VERSIONS}{candidate.pk}/change/"))
    assert "may not be promoted" in text
    assert "no finished evaluation run is recorded for this version" in text
    assert "it has not run as a canary" in text
    passing_run(canary_served(candidate))
    assert "may be promoted" in page(admin_client.get(f"{VERSIONS}{candidate.pk}/change/"))


def test_an_active_version_page_is_read_only(admin_client, active):
    text = page(admin_client.get(f"{VERSIONS}{active.pk}/change/"))
    assert 'name="system_template"' not in text
    assert "no other active version" in text
    assert "only a draft or deprecated version can be promoted" in text


def test_a_new_version_added_in_admin_is_a_checked_draft_with_its_author(admin_client, superuser, active):
    response = admin_client.post(f"{VERSIONS}add/", version_form(active, version="3.2.0"))
    assert response.status_code == 302
    created = PromptVersion.objects.get(prompt__key=KEY, version="3.2.0")
    assert created.status == "draft"
    assert created.history.first().history_user == superuser
    refused = admin_client.post(f"{VERSIONS}add/", version_form(active, version="3.2.0"))
    assert "must be greater than 3.2.0" in page(refused)


def test_editing_a_draft_in_admin_is_checked_like_a_new_one(admin_client, superuser, candidate):
    url = f"{VERSIONS}{candidate.pk}/change/"
    bad = admin_client.post(url, version_form(candidate, user_template="${input_json} and ${room}"))
    assert "undeclared variables: [&#x27;room&#x27;]" in page(bad)
    assert reload(candidate).user_template == candidate.user_template
    lower = admin_client.post(url, version_form(candidate, version="2.9.0"))
    assert "must be greater than 3.0.0" in page(lower)
    good = admin_client.post(url, version_form(candidate, system_template=candidate.system_template + " Thanks."))
    assert good.status_code == 302
    edited = reload(candidate)
    assert edited.system_template.endswith(" Thanks.")
    latest = PromptVersion.history.filter(id=candidate.pk).first()
    assert (latest.history_user, latest.history_type) == (superuser, "~")


@pytest.mark.parametrize("freeze", ["eval_run", "canary"])
def test_a_draft_is_frozen_once_evaluated_or_served_as_a_canary(admin_client, candidate, freeze):
    if freeze == "eval_run":
        passing_run(candidate)
    else:
        prompt_version_start_canary(version_id=candidate.id)
    url = f"{VERSIONS}{candidate.pk}/change/"
    assert 'name="system_template"' not in page(admin_client.get(url))
    admin_client.post(url, version_form(candidate, system_template="Untested text for ${input_json}."))
    assert reload(candidate).system_template == candidate.system_template


def test_only_a_draft_can_be_deleted_in_admin(admin_client, active, candidate):
    assert admin_client.get(f"{VERSIONS}{active.pk}/delete/").status_code == 403
    assert admin_client.post(f"{VERSIONS}{active.pk}/delete/", {"post": "yes"}).status_code == 403
    assert reload(active).status == "active"
    assert "delete_selected" not in page(admin_client.get(VERSIONS))
    assert admin_client.post(f"{VERSIONS}{candidate.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not PromptVersion.objects.filter(pk=candidate.pk).exists()


def test_the_history_page_renders_and_names_the_user(admin_client, superuser, candidate):
    run_action(admin_client, "start_canary_selected", candidate)
    text = page(admin_client.get(f"{VERSIONS}{candidate.pk}/history/"))
    assert superuser.username in text
    history = list(PromptVersion.history.filter(id=candidate.pk).order_by("history_date"))
    assert [(row.canary_percent, row.history_user) for row in history] == [(None, None), (5, superuser)]


# --- lifecycle actions --------------------------------------------------------------------------


def test_promote_without_an_eval_run_is_refused_with_the_reason(admin_client, active, candidate):
    text = run_action(admin_client, "promote_selected", candidate)
    assert f"{KEY}@3.1.0: promote refused: no finished evaluation run is recorded for this version" in text
    assert (reload(candidate).status, reload(active).status) == ("draft", "active")


def test_promote_with_a_passing_eval_run_promotes(admin_client, superuser, active, candidate):
    passing_run(canary_served(candidate))
    text = run_action(admin_client, "promote_selected", candidate)
    assert f"{KEY}@3.1.0: promote done." in text
    assert (reload(candidate).status, reload(active).status) == ("active", "deprecated")
    promoted, deprecated = (PromptVersion.history.filter(id=v.pk).first() for v in (candidate, active))
    assert (promoted.status, promoted.history_user) == ("active", superuser)
    assert (deprecated.status, deprecated.history_user) == ("deprecated", superuser)


def test_every_lifecycle_action_calls_its_service(admin_client, active, candidate):
    assert "start canary done." in run_action(admin_client, "start_canary_selected", candidate)
    assert reload(candidate).canary_percent == 5
    assert "stop canary done." in run_action(admin_client, "stop_canary_selected", candidate)
    assert reload(candidate).canary_percent is None
    assert "deprecate done." in run_action(admin_client, "deprecate_selected", active)
    assert "retire done." in run_action(admin_client, "retire_selected", active, candidate)
    assert (reload(active).status, reload(candidate).status) == ("retired", "retired")


def test_one_refusal_does_not_stop_the_other_selected_versions(admin_client, active, candidate):
    text = run_action(admin_client, "retire_selected", active, candidate)
    assert "3.0.0: retire refused" in text and "3.1.0: retire done." in text
    assert (reload(active).status, reload(candidate).status) == ("active", "retired")


def test_staff_without_the_object_permission_may_not_change_the_lifecycle(engineer, active, candidate):
    passing_run(candidate)
    text = run_action(client_of(engineer), "promote_selected", candidate)
    assert f"{KEY}@3.1.0: you may not promote versions of {KEY}." in text
    assert (reload(candidate).status, reload(active).status) == ("draft", "active")


def test_a_model_wide_permission_is_not_enough(engineer, candidate):
    engineer.user_permissions.add(Permission.objects.get(codename="promote_prompt"))
    assert "you may not start canary" in run_action(client_of(engineer), "start_canary_selected", candidate)
    assert reload(candidate).canary_percent is None


def test_staff_with_the_object_permission_may_change_that_prompt_only(engineer, active, candidate):
    assign_perm("prompts.promote_prompt", engineer, candidate.prompt)
    passing_run(canary_served(candidate))
    other = PromptVersion.objects.get(prompt__key="PRMP_UPSELL_001", status="active")
    client = client_of(engineer)
    assert f"{KEY}@3.1.0: promote done." in run_action(client, "promote_selected", candidate)
    assert (reload(candidate).status, reload(active).status) == ("active", "deprecated")
    assert "you may not deprecate versions of PRMP_UPSELL_001" in run_action(client, "deprecate_selected", other)
    assert reload(other).status == "active"


def test_the_action_refusal_of_a_running_canary_is_shown(admin_client, candidate):
    second = prompt_version_create_draft(
        prompt_key=KEY,
        version="3.2.0",
        system_template=candidate.system_template,
        user_template=candidate.user_template,
        variables=list(candidate.variables),
    )
    prompt_version_start_canary(version_id=candidate.id)
    text = run_action(admin_client, "start_canary_selected", second)
    assert f"start canary refused: {KEY}@3.1.0 is already the canary of {KEY}; stop it first" in text


# --- who reaches admin, and the audit ------------------------------------------------------------


def test_an_admin_page_view_writes_a_platform_access_log_row(admin_client, candidate):
    before = PlatformAccessLog.objects.count()
    page(admin_client.get(f"{VERSIONS}{candidate.pk}/change/"))
    rows = list(PlatformAccessLog.objects.order_by("-id")[: PlatformAccessLog.objects.count() - before])
    assert [(row.actor, row.reason) for row in rows] == [("admin:admin", f"GET {VERSIONS}{candidate.pk}/change/")]


def test_an_action_is_audited_under_its_staff_user(engineer, candidate):
    assign_perm("prompts.promote_prompt", engineer, candidate.prompt)
    run_action(client_of(engineer), "start_canary_selected", candidate)
    reasons = set(PlatformAccessLog.objects.filter(actor="admin:engineer").values_list("reason", flat=True))
    assert f"POST {VERSIONS}" in reasons


def test_anyone_not_staff_is_sent_to_the_login_page_and_not_audited(db):
    from django.contrib.auth.models import User

    before = PlatformAccessLog.objects.count()
    guest = User.objects.create_user("guest", "guest@example.com", "pw-guest-1")
    for client in (Client(), client_of(guest)):
        response = client.get(VERSIONS)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert PlatformAccessLog.objects.count() == before


def test_the_guardian_object_permissions_page_of_a_prompt_renders(admin_client, catalog):
    prompt = Prompt.objects.get(key=KEY)
    assert "engineer" not in page(admin_client.get(f"/admin/prompts/prompt/{prompt.pk}/permissions/"))
