"""Catalog and registry reads from a read replica when `DATABASE_REPLICA_URL` is set (seed 001 §5.1).

Only the platform-wide registry tables go there: the capability catalog, providers, models,
deployments, prompts and their versions (`REPLICA_MODELS`). They hold no tenant data, so no row-level
security setting has to travel to the replica; everything tenant-owned, the manifests (a revoked
signing key must be seen at once) and every write stay on the primary.

A read goes to the primary instead when:
- it runs inside a transaction on the primary (`ATOMIC_REQUESTS` views, services, the admin): a
  transaction that wrote must read its own writes, and one that has not written yet may;
- the code asked for it (`primary_reads()`), as the registry cache does right after an invalidation:
  the replica may not have replayed the write that caused it yet, and the answer would be cached;
- the replica is down or lags more than `REPLICA_MAX_LAG_SECONDS`: a probe (one query) decides, at
  most once per `REPLICA_CHECK_SECONDS`, and a failed probe keeps reads on the primary for
  `REPLICA_RETRY_SECONDS`.

`replica_read(loader)` is how the registry cache loads: a replica that fails in the middle of the
load marks itself down and the load is repeated on the primary, and the replica connection is
closed afterwards, so no request holds one while it waits on a provider.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)
REPLICA = "replica"
PRIMARY = "default"
REPLICA_MODELS = frozenset(
    {
        "capabilities.capability",
        "routing.provider",
        "routing.model",
        "routing.modeldeployment",
        "prompts.prompt",
        "prompts.promptversion",
    }
)
_LAG_SQL = "SELECT COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)"
_force_primary: contextvars.ContextVar[bool] = contextvars.ContextVar("force_primary", default=False)
# Set when the router chose the replica: a load that fails after that failed on the replica.
_replica_chosen: contextvars.ContextVar[bool] = contextvars.ContextVar("replica_chosen", default=False)
T = TypeVar("T")


class _ReplicaState:
    """Whether this process may read from the replica now; probed at most once per check interval."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._usable_until = 0.0
        self._down_until = 0.0

    def usable(self) -> bool:
        now = time.monotonic()
        if now < self._usable_until:
            return True
        if now < self._down_until:
            return False
        with self._lock:
            if time.monotonic() < self._usable_until:
                return True
            problem = self._probe()
            now = time.monotonic()
            if problem is None:
                self._usable_until = now + settings.REPLICA_CHECK_SECONDS
                return True
            self.mark_down(problem)
            return False

    def mark_down(self, reason: str) -> None:
        logger.warning(
            "read replica unusable: reading the primary",
            extra={"reason": reason, "retry_seconds": settings.REPLICA_RETRY_SECONDS},
        )
        self._usable_until = 0.0
        self._down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS

    def reset(self) -> None:
        self._usable_until = self._down_until = 0.0

    @staticmethod
    def _probe() -> str | None:
        replica = connections[REPLICA]
        try:
            with replica.cursor() as cursor:
                cursor.execute(_LAG_SQL)
                lag = float(cursor.fetchone()[0] or 0)
        except DatabaseError as exc:
            return type(exc).__name__
        finally:
            replica.close()
        if lag > settings.REPLICA_MAX_LAG_SECONDS:
            return f"lag {lag:.1f} s"
        return None


REPLICA_STATE = _ReplicaState()


def replica_configured() -> bool:
    return settings.REPLICA_DATABASE_ALIAS == REPLICA


@contextmanager
def primary_reads() -> Iterator[None]:
    token = _force_primary.set(True)
    try:
        yield
    finally:
        _force_primary.reset(token)


def replica_read(loader: Callable[[], T], *, fresh: bool = False) -> T:
    """Run `loader` (a registry read); `fresh`: a write happened moments ago, read the primary."""
    if not replica_configured():
        return loader()
    if fresh:
        with primary_reads():
            return loader()
    chosen = _replica_chosen.set(False)
    try:
        return loader()
    except DatabaseError as exc:
        if not _replica_chosen.get():
            raise  # every read of this load was on the primary: not the replica's failure
        REPLICA_STATE.mark_down(type(exc).__name__)
        with primary_reads():
            return loader()
    finally:
        _replica_chosen.reset(chosen)
        connections[REPLICA].close()


class ReplicaRouter:
    """DATABASE_ROUTERS entry: registry reads to the replica when it is safe, everything else default."""

    def db_for_read(self, model, **hints) -> str | None:
        if model._meta.label_lower not in REPLICA_MODELS or not replica_configured():
            return None
        if _force_primary.get() or connections[PRIMARY].in_atomic_block or not REPLICA_STATE.usable():
            return PRIMARY
        _replica_chosen.set(True)
        return REPLICA

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        return True  # the replica is a copy of the primary: the same rows on both

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool | None:
        return False if db == REPLICA else None
