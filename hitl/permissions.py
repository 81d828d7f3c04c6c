"""Who may see and decide which gate: django-guardian object permissions on a tenant's groups.

A gate is granted to one reviewer group of its tenant when it opens (the capability's rule
names the group) and to the escalation group when the SLA sweep escalates it. Groups are
Django groups named `<tenant id>:<group>`, so one hotel's "managers" are never another's;
reviewer accounts join them (`create_reviewer`, or the admin). Row-level security still scopes
every read to the reviewer's own tenant underneath.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user

from hitl.models import HitlGate, HitlGateGroupObjectPermission, HitlGateUserObjectPermission

VIEW = "hitl.view_hitlgate"
DECIDE = "hitl.decide_hitlgate"


def tenant_group_name(*, tenant_id, group: str) -> str:
    return f"{tenant_id}:{group}"


def tenant_group(*, tenant_id, group: str) -> Group:
    return Group.objects.get_or_create(name=tenant_group_name(tenant_id=tenant_id, group=group))[0]


def _grant(table_model, holder_column: str, holder_id: int, gate: HitlGate) -> None:
    """Both gate permissions to one holder in one statement (this runs inside every gated
    `complete`): guardian's assign_perm would look the permission up and get_or_create the row,
    twice. The rows are exactly what assign_perm writes; an existing grant is left as it is."""
    table = connection.ops.quote_name(table_model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({holder_column}, permission_id, content_object_id) "
            "SELECT %s, p.id, %s FROM auth_permission p "
            "JOIN django_content_type ct ON ct.id = p.content_type_id "
            "WHERE ct.app_label = 'hitl' AND ct.model = 'hitlgate' "
            "AND p.codename IN ('view_hitlgate', 'decide_hitlgate') ON CONFLICT DO NOTHING",
            [holder_id, gate.pk],
        )


def gate_grant(*, gate: HitlGate, group: str) -> None:
    """Let the tenant's `group` see and decide this gate."""
    reviewers = tenant_group(tenant_id=gate.tenant_id, group=group)
    _grant(HitlGateGroupObjectPermission, "group_id", reviewers.pk, gate)


def gates_for_reviewer(user, *, tenant_id, perm: str = VIEW) -> QuerySet[HitlGate]:
    """The tenant's gates this account holds `perm` on, through its groups or directly. Global
    (model-level) permissions and superuser status grant nothing here: a gate is shown to whom
    it was given."""
    return get_objects_for_user(
        user, perm, klass=HitlGate.objects.filter(tenant_id=tenant_id), accept_global_perms=False, with_superuser=False
    )


def gate_grant_user(*, gate: HitlGate, user) -> None:
    """Let one reviewer see and decide this gate, whatever their groups (an assignment)."""
    _grant(HitlGateUserObjectPermission, "user_id", user.pk, gate)
