"""The read-replica router: registry reads to the replica when that is safe, the primary otherwise.

The replica here is a second connection (its own `application_name`) to the test database, so what
it serves is real PostgreSQL answering on another connection; "down" is a port nothing listens on.
The tests are transactional: inside pytest-django's per-test transaction every read would stay on
the primary, by design.
"""

from __future__ import annotations

import pytest
from django.db import OperationalError, connections, transaction
from django.test.utils import CaptureQueriesContext

from capabilities.models import Capability, InferenceRecord
from capabilities.selectors import CATALOG_CACHE, capability_get
from melmastoon_ai import db_router
from melmastoon_ai.db_router import REPLICA, REPLICA_STATE, ReplicaRouter, primary_reads, replica_read
from routing.models import Model

# The alias must exist before pytest-django sets up a test that may use it; as a test mirror of the
# default database it gets no database of its own, and it wraps no request in a transaction (no
# ATOMIC_REQUESTS: the whole session sees the alias). The router stays off (REPLICA_DATABASE_ALIAS is
# unset) except inside `with_replica`.
connections.settings.setdefault(
    REPLICA, {**connections.settings["default"], "ATOMIC_REQUESTS": False, "TEST": {"MIRROR": "default"}}
)
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
ROUTER = ReplicaRouter()


def _replica_config(**changes) -> dict:
    config = dict(connections["default"].settings_dict)
    config["OPTIONS"] = {key: value for key, value in config.get("OPTIONS", {}).items() if key != "pool"}
    config["OPTIONS"]["application_name"] = "melmastoon-replica"
    config["CONN_MAX_AGE"] = 0
    config["ATOMIC_REQUESTS"] = False
    config.update(changes)
    return config


@pytest.fixture
def with_replica(settings, catalog):
    """Configure a replica alias for the duration of one test; `swap(config)` points it elsewhere."""

    def forget() -> None:
        """Close and drop this thread's replica connection: the next use builds one from the settings."""
        if hasattr(connections._connections, REPLICA):
            connections[REPLICA].close()
            delattr(connections._connections, REPLICA)

    def swap(config: dict) -> None:
        forget()
        connections.settings[REPLICA] = config

    mirror = dict(connections.settings[REPLICA])

    swap(_replica_config())
    settings.REPLICA_DATABASE_ALIAS = REPLICA
    REPLICA_STATE.reset()
    settings.REPLICA_RETRY_SECONDS = 30
    yield swap
    forget()
    connections.settings[REPLICA] = mirror
    REPLICA_STATE.reset()


def _dead_replica() -> dict:
    return _replica_config(HOST="127.0.0.1", PORT="1", OPTIONS={"connect_timeout": 1})


def test_without_a_replica_every_read_stays_where_it_was():
    assert ROUTER.db_for_read(Capability) is None
    assert ROUTER.allow_migrate("default", "capabilities") is None


def test_registry_reads_go_to_the_replica_and_run_there(with_replica):
    assert ROUTER.db_for_read(Capability) == REPLICA and ROUTER.db_for_read(Model) == REPLICA
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        rows = list(Capability.objects.values_list("id", flat=True))
    assert len(rows) == 15 and len(on_replica.captured_queries) == 1


def test_tenant_data_never_goes_to_the_replica(with_replica):
    assert ROUTER.db_for_read(InferenceRecord) is None


def test_a_read_inside_a_transaction_on_the_primary_stays_on_the_primary(with_replica):
    with transaction.atomic():
        Capability.objects.filter(pk="pricing.suggest").update(latency_target_ms=1234)
        assert ROUTER.db_for_read(Capability) == "default"
        assert Capability.objects.get(pk="pricing.suggest").latency_target_ms == 1234  # its own write
        transaction.set_rollback(True)


def test_primary_reads_keeps_reads_on_the_primary(with_replica):
    with primary_reads():
        assert ROUTER.db_for_read(Capability) == "default"
    assert ROUTER.db_for_read(Capability) == REPLICA


def test_a_replica_that_is_down_sends_reads_to_the_primary_until_the_retry_time(with_replica, settings):
    with_replica(_dead_replica())
    assert ROUTER.db_for_read(Capability) == "default"
    assert len(Capability.objects.all()) == 15  # answered by the primary
    with_replica(_replica_config())  # back up, but the process does not look again before the retry time
    assert ROUTER.db_for_read(Capability) == "default"
    REPLICA_STATE._down_until = 0.0  # the retry time has passed
    assert ROUTER.db_for_read(Capability) == REPLICA


def test_a_replica_lagging_too_far_is_not_read(with_replica, settings, monkeypatch):
    monkeypatch.setattr(db_router, "_LAG_SQL", "SELECT 60.0")  # what a replica 60 s behind reports
    settings.REPLICA_MAX_LAG_SECONDS = 10
    assert ROUTER.db_for_read(Capability) == "default"


def test_a_replica_failing_in_the_middle_of_a_load_is_retried_on_the_primary(with_replica):
    assert ROUTER.db_for_read(Capability) == REPLICA  # probed: up
    with_replica(_dead_replica())  # then it goes away before the load's query
    rows = replica_read(lambda: list(Capability.objects.values_list("id", flat=True)))
    assert len(rows) == 15
    assert ROUTER.db_for_read(Capability) == "default"  # and it is marked down


def test_a_primary_failure_is_not_mistaken_for_the_replicas(with_replica):
    def failing_on_primary():
        with primary_reads():
            raise OperationalError("primary down")

    with pytest.raises(OperationalError):
        replica_read(failing_on_primary)
    assert ROUTER.db_for_read(Capability) == REPLICA


def test_right_after_a_registry_change_the_cache_loads_from_the_primary(with_replica):
    CATALOG_CACHE.invalidate()  # a change was just committed: the replica may not have it yet
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert capability_get(capability_id="pricing.suggest") is not None
    assert on_replica.captured_queries == []


def test_the_replica_connection_is_closed_after_each_load(with_replica, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 0  # no freshness window: this load may use the replica
    CATALOG_CACHE.invalidate()
    CATALOG_CACHE._written_until = 0.0
    from melmastoon_ai.redis_client import get_redis

    get_redis().delete(CATALOG_CACHE._written_key())
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert capability_get(capability_id="pricing.suggest") is not None
    assert on_replica.captured_queries
    assert connections[REPLICA].connection is None
