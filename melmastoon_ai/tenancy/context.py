"""Which tenant the current database transaction may see.

`set_config(name, value, true)` is transaction-local, so a tenant can never leak into the next
request or task that reuses the connection. Application code uses:

* `tenant_context(tenant_id)`: open (or join) a transaction scoped to one tenant; Celery tasks
  and services outside a request use this;
* `activate_tenant(tenant_id)`: inside an already open request transaction (the API views);
* `platform_access(actor=..., reason=...)`: the one explicit, audited path that reads across
  tenants (Django admin, beat sweeps); every use writes a `PlatformAccessLog` row;
* narrow policies for the system's own cross-tenant paths, each opening one table for one job
  only: `api_key_lookup`, `membership_lookup`, `outbox_relay_access`, `webhook_dispatch_access`,
  `metrics_read_access`
  (no audit row: they are not people reading tenants' data, and the relay runs every 2 s and a
  /metrics scrape every 15 s).
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

_current_tenant: contextvars.ContextVar[str | None] = contextvars.ContextVar("tenant_id", default=None)


class NotInTransaction(RuntimeError):
    pass


def current_tenant_id() -> str | None:
    """The tenant of the running request or task, for logs; never an authorisation source."""
    return _current_tenant.get()


def clear_tenant_for_request() -> None:
    _current_tenant.set(None)


def _set(name: str, value: str) -> None:
    if not connection.in_atomic_block:
        raise NotInTransaction(f"{name} must be set inside a transaction (it is transaction-local)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


def _get(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [name])
        return cursor.fetchone()[0] or ""


def release_connection() -> None:
    """Give this thread's database connection back to the pool while a request waits (on a
    provider, or on another request). Inside an outer transaction (a test's, an eval case's) the
    connection belongs to that transaction and stays."""
    if not connection.in_atomic_block:
        connection.close()


def activate_tenant(tenant_id: uuid.UUID | str) -> None:
    tenant = str(uuid.UUID(str(tenant_id)))
    _set("app.tenant_id", tenant)
    _current_tenant.set(tenant)


@contextmanager
def tenant_context(tenant_id: uuid.UUID | str) -> Iterator[None]:
    """A transaction (or, nested, a savepoint) in which only `tenant_id`'s rows are visible. An
    outermost one sets the tenant once (the setting ends with the transaction); a nested one puts
    the outer transaction's tenant back when it ends."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        previous = "" if outermost else _get("app.tenant_id")
        token = _current_tenant.set(str(tenant_id))
        activate_tenant(tenant_id)
        try:
            yield
        finally:
            _current_tenant.reset(token)
            if not outermost and not connection.needs_rollback:
                _set("app.tenant_id", previous)


@contextmanager
def platform_access(*, actor: str, reason: str) -> Iterator[None]:
    from melmastoon_ai.tenancy.models import PlatformAccessLog

    with transaction.atomic():
        previous = _get("app.platform_access")
        _set("app.platform_access", "on")
        PlatformAccessLog.objects.create(actor=actor[:200], reason=reason[:200])
        try:
            yield
        finally:
            if not connection.needs_rollback:
                _set("app.platform_access", previous)


@contextmanager
def _pre_tenant_lookup(setting: str, value: str) -> Iterator[None]:
    """Expose only the rows a narrow RLS policy matches on `setting`: a read done before the
    tenant is known. Read-only, and the setting is reset either way."""
    with transaction.atomic(savepoint=False):
        _set(setting, value)
        try:
            yield
        finally:
            if not connection.needs_rollback:
                _set(setting, "")


@contextmanager
def data_protection_writes() -> Iterator[None]:
    """The one path through the append-only triggers of HITL and routing decisions (privacy
    migration 0002): a data subject's erasure scrubbing a decision, a tenant's offboarding
    deleting its rows. Transaction-local, reset either way."""
    with transaction.atomic():
        previous = _get("app.data_protection")
        _set("app.data_protection", "on")
        try:
            yield
        finally:
            if not connection.needs_rollback:
                _set("app.data_protection", previous)


def api_key_lookup(prefix: str):
    """Only the API key rows with this prefix (authentication of a service)."""
    return _pre_tenant_lookup("app.api_key_prefix", prefix)


@contextmanager
def outbox_relay_access() -> Iterator[None]:
    """The outbox relay's own policy (outbox migration 0002): unpublished events of every tenant,
    readable and updatable, nothing else. One transaction; the setting is reset either way."""
    with transaction.atomic(savepoint=False):
        _set("app.outbox_relay", "on")
        try:
            yield
        finally:
            if not connection.needs_rollback:
                _set("app.outbox_relay", "")


def webhook_dispatch_access():
    """The webhook dispatcher's own policy (webhooks migration 0001): the ids of pending
    deliveries of every tenant, to queue them; their attempts run in each tenant's context."""
    return _pre_tenant_lookup("app.webhook_dispatch", "on")


def metrics_read_access():
    """The /metrics scrape's own policy (rls.metrics_reader_policy): SELECT on the tables whose
    gauges it reports (budget periods, HITL gates, the outbox), nothing else, and no audit row:
    a scrape every 15 s is not a person reading across tenants."""
    return _pre_tenant_lookup("app.metrics_reader", "on")


def membership_lookup(user_id: int):
    """Only the membership of this user (a reviewer's login to the HITL pages)."""
    return _pre_tenant_lookup("app.user_id", str(int(user_id)))
