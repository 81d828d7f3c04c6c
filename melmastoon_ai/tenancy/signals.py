"""Clear the request's tenant from a transaction that outlives the request.

In production the request transaction commits before the response leaves, and the
transaction-local setting ends with it. Inside a test's wrapping transaction it would
survive into the test body; clearing it keeps tests as strict as production.
"""

from django.db import connection, transaction


def clear_transaction_tenant(**kwargs) -> None:
    if connection.connection is None or not connection.in_atomic_block or connection.needs_rollback:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('app.tenant_id', '', true), set_config('app.api_key_prefix', '', true)")


def invalidate_credentials(**kwargs) -> None:
    """A key or a tenant changed (revoked, expired, suspended): forget verified credentials."""
    from melmastoon_ai.tenancy.selectors import CREDENTIAL_CACHE

    transaction.on_commit(CREDENTIAL_CACHE.invalidate)
