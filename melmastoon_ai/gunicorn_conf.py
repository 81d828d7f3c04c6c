"""The production web server: gunicorn, threaded workers, one bounded database pool per worker.

    python -m melmastoon_ai.serve      (`make serve`, `make run`, the container's `web`)

A request spends almost all its time waiting on a model, holding no database connection while it
waits (capabilities/pipeline.py), so a worker carries many requests in flight on threads:
WEB_CONCURRENCY processes x WEB_THREADS threads, each process with a pool of at most
DB_POOL_MAX_SIZE connections. The defaults (2 x 100, pool 4) carry 200 concurrent calls on one
2-core instance with at most 8 database connections (docs/architecture.md, "Serving").

The application is imported once in the master (`preload_app`) and forked, so a worker starts in
milliseconds; nothing that owns a thread or a socket (the database pool, onnxruntime sessions) is
created before the fork.
"""

from __future__ import annotations

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "100"))
worker_connections = int(os.environ.get("WEB_MAX_CONNECTIONS", "1000"))
# Above the request deadline (REQUEST_DEADLINE_CAP_SECONDS, 55 s): a worker is never killed for
# waiting on a slow model, only for hanging.
timeout = int(os.environ.get("WEB_TIMEOUT_SECONDS", "75"))
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT_SECONDS", "30"))
keepalive = int(os.environ.get("WEB_KEEPALIVE_SECONDS", "75"))  # longer than a load balancer's idle timeout
backlog = 2048
preload_app = True
accesslog = None  # one JSON log line per request comes from our middleware
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
proc_name = "melmastoon-ai"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
control_socket_disable = True  # gunicorn 27's control socket: nothing here uses it


def pre_fork(server, worker):
    """Close what the master opened while importing (start-up checks): a forked child must never
    share a database socket or a pool whose threads stayed behind in the master."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close()
        if hasattr(connection, "close_pool"):
            connection.close_pool()


def post_fork(server, worker):
    from melmastoon_ai.serving import warm_up_worker

    warm_up_worker()
