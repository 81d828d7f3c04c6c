"""Liveness, readiness and metrics endpoints.

Readiness checks are a registry: the kernel registers database, Redis and migrations; apps add
their own (the catalog) in `AppConfig.ready()` with `register_readiness_check`.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable

import psycopg
import psycopg_pool
import redis
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from melmastoon_ai.errors import json_error
from melmastoon_ai.observability import metrics
from melmastoon_ai.redis_client import get_redis
from melmastoon_ai.version import BUILD, VERSION

ReadinessCheck = Callable[[], str | None]  # returns None when ready, else why not
ReadinessDetail = Callable[[], dict]  # informational: shown in /readyz, never makes it fail
_CHECKS: dict[str, ReadinessCheck] = {}
_NEED_NO_DATABASE: set[str] = set()  # checks that still run when the database check failed
_DETAILS: dict[str, ReadinessDetail] = {}
_DETAILS_NEED_NO_DATABASE: set[str] = set()


def register_readiness_detail(
    name: str, *, needs_database: bool = True
) -> Callable[[ReadinessDetail], ReadinessDetail]:
    """`needs_database` as for checks: a detail that reads the database is left out while the
    database check fails, so a down database costs /readyz one short wait, not one per detail."""

    def decorator(detail: ReadinessDetail) -> ReadinessDetail:
        _DETAILS[name] = detail
        if not needs_database:
            _DETAILS_NEED_NO_DATABASE.add(name)
        return detail

    return decorator


def register_readiness_check(name: str, *, needs_database: bool = True) -> Callable[[ReadinessCheck], ReadinessCheck]:
    """`needs_database`: the check reads the database, so it is not run (and fails at once) when the
    database check has failed: a down database answers 503 within one connection timeout."""

    def decorator(check: ReadinessCheck) -> ReadinessCheck:
        _CHECKS[name] = check
        if not needs_database:
            _NEED_NO_DATABASE.add(name)
        return check

    return decorator


@register_readiness_check("database")
def _database() -> str | None:
    """With a pool, one pooled connection waited for no longer than a connection attempt: the
    pool's own timeout (DB_POOL_TIMEOUT_SECONDS) is for requests, and a probe that waits that long
    on a down database outlives the orchestrator's probe timeout instead of answering 503."""
    pool = getattr(connection, "pool", None)
    if pool is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return None
    timeout = connection.settings_dict.get("OPTIONS", {}).get("connect_timeout", 5)
    try:
        with pool.connection(timeout=timeout) as conn:
            conn.execute("SELECT 1")
    except psycopg_pool.PoolTimeout:
        return f"no database connection within {timeout} s"
    except psycopg.Error as exc:
        return type(exc).__name__
    return None


@register_readiness_check("redis", needs_database=False)
def _redis() -> str | None:
    get_redis().ping()
    return None


_migrations_ok_until = 0.0


@register_readiness_check("migrations")
def _migrations() -> str | None:
    global _migrations_ok_until
    if time.monotonic() < _migrations_ok_until:
        return None
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        return f"{len(plan)} migration(s) not applied"
    _migrations_ok_until = time.monotonic() + 30
    return None


def run_readiness_checks() -> dict[str, dict[str, str]]:
    results: dict[str, dict[str, str]] = {}
    for name, check in _CHECKS.items():
        if name not in _NEED_NO_DATABASE and results.get("database", {}).get("status") == "failing":
            results[name] = {"status": "failing", "detail": "database unavailable"}
            continue
        try:
            problem = check()
        except DatabaseError as exc:
            problem = type(exc).__name__
            if connection.in_atomic_block:
                connection.set_rollback(True)
        except (redis.RedisError, OSError) as exc:
            problem = type(exc).__name__
        results[name] = {"status": "ok"} if problem is None else {"status": "failing", "detail": problem}
    return results


def _details(*, database_ok: bool) -> dict[str, dict]:
    return {
        name: _detail(detail) if database_ok or name in _DETAILS_NEED_NO_DATABASE else {"unavailable": "database"}
        for name, detail in _DETAILS.items()
    }


def _detail(detail: ReadinessDetail) -> dict:
    try:
        return detail()
    except (DatabaseError, redis.RedisError, OSError) as exc:
        return {"unavailable": type(exc).__name__}


@require_GET
@transaction.non_atomic_requests
def healthz(request):
    return JsonResponse({"status": "ok", "version": VERSION, "build": BUILD})


@require_GET
@transaction.non_atomic_requests
def readyz(request):
    checks = run_readiness_checks()
    failing = sorted(name for name, result in checks.items() if result["status"] != "ok")
    body = {
        "status": "ok" if not failing else "unavailable",
        "checks": checks,
        "details": _details(database_ok="database" not in failing),
    }
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)


def metrics_refusal(request) -> HttpResponse | None:
    """Who may scrape /metrics (tenant ids and their usage are in it): with METRICS_TOKEN set, a
    caller presenting it as `Authorization: Bearer <token>`; without one, anyone in development
    (DEBUG on, `make run`) and no one in production."""
    token = settings.METRICS_TOKEN
    if not token:
        if settings.DEBUG:
            return None
        return json_error(403, "forbidden", "Metrics are disabled: set METRICS_TOKEN and scrape with it.")
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode()):
        return None
    response = json_error(401, "unauthenticated", "Metrics need the scrape token: Authorization: Bearer <token>.")
    response["WWW-Authenticate"] = 'Bearer realm="melmastoon-ai metrics"'
    return response


@require_GET
@transaction.non_atomic_requests
def metrics_view(request):
    refusal = metrics_refusal(request)
    if refusal is not None:
        return refusal
    payload, content_type = metrics.render()
    return HttpResponse(payload, content_type=content_type)
