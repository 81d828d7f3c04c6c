"""Feature flags: per-tenant over global over default, read through the cache, switched by the
admin page and the command, and obeyed by the response cache and the router."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from capabilities.models import Capability
from capabilities.pipeline import circuit_breakers
from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.flags.models import FeatureFlag
from melmastoon_ai.flags.registry import registered_flags
from melmastoon_ai.flags.selectors import FLAG_CACHE, flag_enabled
from melmastoon_ai.flags.services import feature_flag_clear, feature_flag_set
from melmastoon_ai.tenancy.context import platform_access, tenant_context
from melmastoon_ai.tenancy.models import Tenant
from routing.breakers import CircuitBreakers
from routing.flags import providers_switched_off, switchable
from routing.providers.registry import adapters

pytestmark = pytest.mark.django_db
URL = "/api/v1/ai/complete"


def _set(key, enabled, tenant=None, **kwargs):
    return feature_flag_set(key=key, enabled=enabled, tenant_id=tenant.id if tenant else None, actor="test", **kwargs)


def test_every_provider_but_the_deterministic_fallback_and_the_cache_have_a_flag():
    keys = {flag.key for flag in registered_flags()}
    assert {f"provider.{kind}" for kind in adapters() if kind != "deterministic"} <= keys
    assert "provider.deterministic" not in keys and "response_cache" in keys
    assert all(flag.default for flag in registered_flags())


def test_a_tenant_row_wins_over_the_global_row_which_wins_over_the_default(
    tenant_a, tenant_b, django_capture_on_commit_callbacks
):
    assert flag_enabled(tenant_id=tenant_a.id, key="response_cache") is True
    with django_capture_on_commit_callbacks(execute=True):
        _set("response_cache", False)
    assert flag_enabled(tenant_id=tenant_a.id, key="response_cache") is False
    assert flag_enabled(tenant_id=tenant_b.id, key="response_cache") is False
    with django_capture_on_commit_callbacks(execute=True):
        _set("response_cache", True, tenant=tenant_b)
    assert flag_enabled(tenant_id=tenant_a.id, key="response_cache") is False
    assert flag_enabled(tenant_id=tenant_b.id, key="response_cache") is True
    with django_capture_on_commit_callbacks(execute=True):
        assert feature_flag_clear(key="response_cache", actor="test") is True
    assert flag_enabled(tenant_id=tenant_a.id, key="response_cache") is True


def test_reads_come_from_the_cache_until_a_change_invalidates_it(tenant_a):
    assert flag_enabled(tenant_id=tenant_a.id, key="provider.openai") is True  # loaded and cached
    with platform_access(actor="test", reason="a write that bypasses the service"):
        FeatureFlag.objects.create(key="provider.openai", tenant=tenant_a, enabled=False)
    assert flag_enabled(tenant_id=tenant_a.id, key="provider.openai") is True  # still the cached value
    FLAG_CACHE.invalidate()  # what the service does on commit: every process sees it within a second
    assert flag_enabled(tenant_id=tenant_a.id, key="provider.openai") is False


def test_an_unknown_flag_is_refused_rather_than_switching_nothing(tenant_a):
    with pytest.raises(ApplicationError) as refused:
        _set("provider.openia", False, tenant=tenant_a)
    assert refused.value.status == 400 and refused.value.details == {"key": "provider.openia"}


def test_a_tenants_flag_rows_are_invisible_to_another_tenant_and_global_rows_visible_to_all(tenant_a, tenant_b):
    _set("provider.vertex", False, tenant=tenant_a)
    _set("provider.edge", False)
    with tenant_context(tenant_b.id), connection.cursor() as cursor:
        cursor.execute("SELECT key FROM flags_featureflag ORDER BY key")
        assert cursor.fetchall() == [("provider.edge",)]
    with tenant_context(tenant_a.id), connection.cursor() as cursor:
        cursor.execute("SELECT key FROM flags_featureflag ORDER BY key")
        assert cursor.fetchall() == [("provider.edge",), ("provider.vertex",)]
    with tenant_context(tenant_b.id), pytest.raises(Exception, match="row-level security"):
        FeatureFlag.objects.create(key="provider.openai", tenant=None, enabled=False)


def test_the_command_lists_sets_and_clears(tenant_a, capsys, django_capture_on_commit_callbacks):
    call_command("feature_flag", "list")
    assert "provider.openai\tdefault on" in capsys.readouterr().out
    with django_capture_on_commit_callbacks(execute=True):
        call_command("feature_flag", "set", "provider.openai", "off", "--tenant", str(tenant_a.id))
    assert providers_switched_off(tenant_id=tenant_a.id) == {"openai"}
    with django_capture_on_commit_callbacks(execute=True):
        call_command("feature_flag", "clear", "provider.openai", "--tenant", str(tenant_a.id))
    assert providers_switched_off(tenant_id=tenant_a.id) == frozenset()


def test_the_admin_page_adds_a_flag_through_the_service(admin_client, tenant_a, django_capture_on_commit_callbacks):
    page = admin_client.get("/admin/flags/featureflag/add/")
    assert page.status_code == 200 and b"provider.anthropic" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/flags/featureflag/add/",
            {"key": "provider.anthropic", "tenant": str(tenant_a.id), "enabled": "", "note": "contract paused"},
        )
    assert response.status_code == 302, response.content[:500]
    assert providers_switched_off(tenant_id=tenant_a.id) == {"anthropic"}
    with platform_access(actor="test", reason="check"):
        assert FeatureFlag.objects.get(key="provider.anthropic").updated_by.startswith("admin:")
    assert admin_client.get("/admin/flags/featureflag/").status_code == 200


def _complete(client, capability="pricing.suggest"):
    example = Capability.objects.get(pk=capability).examples[0]
    response = client.post(
        URL,
        {"capability": capability, "input": example, "context": {"feature": "flags", "locale": "en"}},
        format="json",
    )
    assert response.status_code == 200, response.content[:300]
    return response.json()


def test_the_response_cache_flag_switches_the_cache_off_for_one_tenant(
    client_a, client_b, tenant_a, catalog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _set("response_cache", False, tenant=tenant_a, note="debugging stale answers")
    with django_capture_on_commit_callbacks(execute=True):
        _complete(client_a)
        _complete(client_b)
    assert _complete(client_a)["provenance"]["cache_hit"] is False
    assert _complete(client_b)["provenance"]["cache_hit"] is True


@pytest.fixture
def providers_ready(providers_from_settings, catalog, tenant_a, tenant_b):
    Tenant.objects.filter(pk__in=[tenant_a.pk, tenant_b.pk]).update(cache_enabled=False)
    circuit_breakers.cache_clear()
    breakers = CircuitBreakers()
    breakers._client.delete(*[breakers.key(kind) for kind in switchable()])
    yield providers_from_settings
    circuit_breakers.cache_clear()


def test_a_provider_switched_off_for_a_tenant_is_skipped_for_it_alone(
    client_a, client_b, tenant_a, providers_ready, vertex_fake, anthropic_fake, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _set("provider.vertex", False, tenant=tenant_a)
    body = _complete(client_a)
    attempts = [(attempt["provider"], attempt["outcome"]) for attempt in body["provenance"]["attempts"]]
    assert attempts[:2] == [("vertex", "not_configured"), ("anthropic", "ok")]
    assert vertex_fake.received == []
    assert _complete(client_b)["provenance"]["provider"] == "vertex"
    assert len(vertex_fake.received) == 1


def test_a_provider_switched_off_everywhere_is_not_asked_to_moderate_or_embed(
    client_a, providers_ready, openai_fake, vertex_fake, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _set("provider.openai", False)
        _set("provider.vertex", False)
    _complete(client_a)
    embedded = client_a.post("/api/v1/ai/embed", {"texts": ["late checkout"]}, format="json").json()
    assert embedded["provenance"]["attempts"][0] == {
        "provider": "vertex",
        "model": "text-embedding-004",
        "outcome": "not_configured",
    }
    assert openai_fake.received == [] and vertex_fake.received == []
