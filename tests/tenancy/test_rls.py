"""Row-level security really holds, proven as the application role (never a superuser)."""

from __future__ import annotations

import uuid

import pytest
from django.db import DatabaseError, connection, transaction

from melmastoon_ai.outbox.models import OutboxEvent
from melmastoon_ai.outbox.services import outbox_emit
from melmastoon_ai.tenancy.context import platform_access, tenant_context
from melmastoon_ai.tenancy.models import ApiKey, PlatformAccessLog
from tests.factories import ApiKeyFactory

pytestmark = pytest.mark.django_db


def _tenant_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.table_name FROM information_schema.columns c
            JOIN information_schema.tables t USING (table_schema, table_name)
            WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE'
            ORDER BY 1
            """
        )
        return [row[0] for row in cursor.fetchall()]


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        return cursor.fetchone()[0]


def test_tests_connect_as_a_role_that_cannot_bypass_rls():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        superuser, bypass = cursor.fetchone()
        cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'tenancy_apikey'")
        owner = cursor.fetchone()[0]
        cursor.execute("SELECT current_user")
        user = cursor.fetchone()[0]
    assert (superuser, bypass) == (False, False)
    assert owner != user, "the runtime role must not own tables (an owner could switch RLS off)"


def test_every_table_with_tenant_id_forces_rls_with_a_tenant_policy():
    tables = _tenant_tables()
    assert {"tenancy_apikey", "outbox_outboxevent"} <= set(tables)
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s", [table])
            assert cursor.fetchone() == (True, True), f"{table} lacks ENABLE/FORCE ROW LEVEL SECURITY"
            cursor.execute("SELECT qual, with_check FROM pg_policies WHERE tablename = %s", [table])
            policies = cursor.fetchall()
            assert any(
                "app.tenant_id" in (qual or "") and "app.tenant_id" in (check or "") for qual, check in policies
            ), f"{table} has no tenant policy on app.tenant_id for reads and writes"


def test_with_no_tenant_set_every_tenant_table_reads_empty(tenant_a, tenant_b):
    ApiKeyFactory(tenant=tenant_a)
    ApiKeyFactory(tenant=tenant_b)
    with tenant_context(tenant_a.id):
        outbox_emit(topic="test.event", payload={"n": 1}, tenant_id=tenant_a.id)
    for table in _tenant_tables():
        assert _count(table) == 0, f"{table} is readable with no tenant set"


def test_tenant_a_never_reads_tenant_b_rows_even_with_raw_sql(tenant_a, tenant_b):
    key_b = ApiKeyFactory(tenant=tenant_b)
    ApiKeyFactory(tenant=tenant_a)
    with tenant_context(tenant_a.id):
        assert list(ApiKey.objects.values_list("tenant_id", flat=True)) == [tenant_a.id]
        assert not ApiKey.objects.filter(pk=key_b.key.pk).exists()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM tenancy_apikey WHERE tenant_id = %s", [tenant_b.id])
            assert cursor.fetchone()[0] == 0


def test_tenant_a_cannot_write_rows_for_tenant_b(tenant_a, tenant_b):
    with pytest.raises(DatabaseError, match="row-level security"), tenant_context(tenant_a.id):
        ApiKey.objects.create(tenant_id=tenant_b.id, prefix="abcdefgh12", key_hash="0" * 64, scopes=["ai:invoke"])


def test_tenant_a_cannot_update_or_delete_tenant_b_rows(tenant_a, tenant_b):
    key_b = ApiKeyFactory(tenant=tenant_b)
    with tenant_context(tenant_a.id):
        assert ApiKey.objects.filter(pk=key_b.key.pk).update(name="stolen") == 0
        assert ApiKey.objects.filter(pk=key_b.key.pk).delete()[0] == 0
        with connection.cursor() as cursor:
            cursor.execute("UPDATE tenancy_apikey SET name = 'stolen' WHERE tenant_id = %s", [tenant_b.id])
            assert cursor.rowcount == 0
    with tenant_context(tenant_b.id):
        assert ApiKey.objects.get(pk=key_b.key.pk).name == "test key"


def test_moving_a_row_to_another_tenant_is_refused(tenant_a, tenant_b):
    key_a = ApiKeyFactory(tenant=tenant_a)
    with pytest.raises(DatabaseError, match="row-level security"), tenant_context(tenant_a.id):
        ApiKey.objects.filter(pk=key_a.key.pk).update(tenant_id=tenant_b.id)


def test_the_application_role_cannot_switch_rls_off():
    with pytest.raises(DatabaseError, match="must be owner"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE tenancy_apikey NO FORCE ROW LEVEL SECURITY")


def test_tenant_setting_ends_with_the_transaction(tenant_a):
    ApiKeyFactory(tenant=tenant_a)
    with tenant_context(tenant_a.id):
        assert ApiKey.objects.count() == 1
    assert ApiKey.objects.count() == 0


def test_platform_path_reads_across_tenants_and_is_audited(tenant_a, tenant_b):
    ApiKeyFactory(tenant=tenant_a)
    ApiKeyFactory(tenant=tenant_b)
    before = PlatformAccessLog.objects.count()
    with platform_access(actor="test:auditor", reason="count keys"):
        assert ApiKey.objects.count() == 2
    assert PlatformAccessLog.objects.count() == before + 1
    assert PlatformAccessLog.objects.order_by("-id").first().actor == "test:auditor"
    assert ApiKey.objects.count() == 0


def test_key_lookup_policy_exposes_only_the_presented_prefix(tenant_a, tenant_b):
    from melmastoon_ai.tenancy.selectors import api_key_by_prefix

    key_a = ApiKeyFactory(tenant=tenant_a)
    key_b = ApiKeyFactory(tenant=tenant_b)
    found = api_key_by_prefix(prefix=key_a.key.prefix)
    assert found is not None and found.pk == key_a.key.pk
    from melmastoon_ai.tenancy.context import api_key_lookup

    with api_key_lookup(key_a.key.prefix):
        assert list(ApiKey.objects.values_list("pk", flat=True)) == [key_a.key.pk]
        assert not ApiKey.objects.filter(pk=key_b.key.pk).exists()
        assert ApiKey.objects.filter(pk=key_a.key.pk).update(name="x") == 0  # lookup is read-only


def test_platform_events_without_tenant_are_invisible_to_tenants(tenant_a):
    with platform_access(actor="test", reason="emit platform event"):
        outbox_emit(topic="platform.event", payload={}, tenant_id=None)
    with tenant_context(tenant_a.id):
        assert OutboxEvent.objects.count() == 0


def test_garbage_tenant_setting_is_rejected_not_widened():
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('app.tenant_id', 'not-a-uuid', true)")
            cursor.execute("SELECT count(*) FROM tenancy_apikey")
    with tenant_context(uuid.uuid4()):
        assert ApiKey.objects.count() == 0
