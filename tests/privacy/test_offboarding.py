"""Tenant offboarding: every row of the tenant, in every app, exported as JSON Lines and deleted
(the PROTECT foreign keys never hit), its reviewer accounts and Redis keys gone; the other tenant
untouched."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from budgets.models import Budget
from hitl.services import reviewer_account_create
from melmastoon_ai.redis_client import get_redis
from melmastoon_ai.tenancy.context import platform_access, tenant_context
from melmastoon_ai.tenancy.models import Tenant
from privacy.offboarding import tenant_models
from privacy.services import erasure_request_create
from tests.privacy.test_erasure import ROYA, ZAHIR, ask, mention_in_corpus

pytestmark = pytest.mark.django_db


def rows_of(tenant_id) -> dict[str, int]:
    with platform_access(actor="test", reason="count"):
        return {
            model._meta.label: model._default_manager.filter(tenant_id=tenant_id).count() for model in tenant_models()
        }


def test_offboarding_exports_then_leaves_no_row_and_no_key_of_the_tenant(
    client_a, client_b, tenant_a, tenant_b, cached_drafts, tmp_path, django_capture_on_commit_callbacks
):
    ask(client_a, ROYA, "k-1", django_capture_on_commit_callbacks)
    ask(client_a, ZAHIR, "k-2", django_capture_on_commit_callbacks)
    ask(client_b, ROYA, "k-1", django_capture_on_commit_callbacks)
    mention_in_corpus(tenant_a, ROYA, "roya")
    mention_in_corpus(tenant_b, ROYA, "roya")
    erasure_request_create(tenant=tenant_a, identifiers=[("email", ZAHIR["email"])], requested_by="t", enqueue=False)
    with tenant_context(tenant_a.id):
        Budget.objects.create(tenant=tenant_a, feature="messaging", token_limit=1000)
    reviewer_account_create(
        tenant_id=tenant_a.id, username="noor", password="correct-horse-battery-7", groups=["reviewers"]
    )
    before, other_before = rows_of(tenant_a.id), rows_of(tenant_b.id)
    tables_used = {label for label, count in before.items() if count}
    assert {
        "capabilities.InferenceRecord",
        "capabilities.UsageFact",
        "hitl.HitlGate",
        "rag.Chunk",
        "capabilities.IdempotencyRecord",
        "outbox.OutboxEvent",
        "privacy.ErasureRequest",
        "tenancy.ApiKey",
        "tenancy.TenantMembership",
        "budgets.Budget",
    } <= tables_used
    assert list(get_redis().scan_iter(match=f"*{tenant_a.id}*"))

    dry = StringIO()
    call_command("tenant_offboard", "--tenant", str(tenant_a.id), stdout=dry)
    assert json.loads(dry.getvalue())["rows"] == before and rows_of(tenant_a.id) == before  # nothing deleted

    out = StringIO()
    call_command(
        "tenant_offboard", "--tenant", str(tenant_a.id), "--confirm", "--export-dir", str(tmp_path), stdout=out
    )
    report = json.loads(out.getvalue())
    # a history table also loses the row its instance's deletion wrote
    deleted = {label: count for label, count in report["rows"].items() if label != "tenancy.Tenant"}
    assert {label: count for label, count in deleted.items() if ".Historical" not in label} == {
        label: count for label, count in before.items() if ".Historical" not in label
    }
    assert deleted["budgets.HistoricalBudget"] == before["budgets.HistoricalBudget"] + 1
    assert report["accounts"] == 1 and report["redis_keys"] > 0

    assert not Tenant.objects.filter(pk=tenant_a.id).exists()
    assert {label: count for label, count in rows_of(tenant_a.id).items() if count} == {}
    assert not User.objects.filter(username="noor").exists()
    assert sorted(get_redis().scan_iter(match=f"*{tenant_a.id}*")) == []
    assert rows_of(tenant_b.id) == other_before
    assert list(get_redis().scan_iter(match=f"resp:{tenant_b.id}:*"))

    lines = [json.loads(line) for line in (tmp_path / f"tenant-{tenant_a.id}.jsonl").read_text().splitlines()]
    exported: dict[str, int] = {}
    for line in lines:
        exported[line["model"]] = exported.get(line["model"], 0) + 1
    assert lines[0]["model"] == "tenancy.tenant" and lines[0]["pk"] == str(tenant_a.id)
    assert {label.lower(): count for label, count in before.items() if count} == {
        model: count for model, count in exported.items() if model != "tenancy.tenant"
    }


def test_offboarding_an_unknown_tenant_is_an_error(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("tenant_offboard", "--tenant", "00000000-0000-0000-0000-000000000000", "--confirm")


def test_a_superuser_offboards_a_tenant_from_the_admin_after_typing_the_confirmation(
    admin_client, tenant_a, tenant_b, settings, tmp_path
):
    settings.PRIVACY_OFFBOARDING_EXPORT_DIR = str(tmp_path)
    url = "/admin/tenancy/tenant/"
    chosen = {"action": "offboard_tenants", "_selected_action": [str(tenant_a.id)]}
    page = admin_client.post(url, chosen)
    assert page.status_code == 200 and b"Type <strong>OFFBOARD</strong> to confirm" in page.content
    assert Tenant.objects.filter(pk=tenant_a.id).exists()  # the first click only shows the counts
    wrong = admin_client.post(url, chosen | {"confirmation": "yes"})
    assert wrong.status_code == 200 and Tenant.objects.filter(pk=tenant_a.id).exists()
    done = admin_client.post(url, chosen | {"confirmation": "OFFBOARD"}, follow=True)
    assert done.status_code == 200 and b"rows deleted after export" in done.content
    assert not Tenant.objects.filter(pk=tenant_a.id).exists()
    assert Tenant.objects.filter(pk=tenant_b.id).exists()
    assert (tmp_path / f"tenant-{tenant_a.id}.jsonl").exists()


def test_staff_who_are_not_superusers_cannot_offboard(client, staff_user, tenant_a):
    from django.contrib.auth.models import Permission

    from tests.factories import staff_login

    staff_user.user_permissions.add(*Permission.objects.filter(codename__in=["view_tenant", "change_tenant"]))
    staff = staff_login(client, staff_user)
    response = staff.post(
        "/admin/tenancy/tenant/",
        {"action": "offboard_tenants", "_selected_action": [str(tenant_a.id)], "confirmation": "OFFBOARD"},
        follow=True,
    )
    assert b"Only a superuser may offboard a tenant." in response.content
    assert Tenant.objects.filter(pk=tenant_a.id).exists()
