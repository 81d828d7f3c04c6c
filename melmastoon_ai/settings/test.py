"""Test settings: a private embedded PostgreSQL 16 + pgvector per test session, real Redis.

The URLs go into the environment so that subprocesses the tests start (a Celery worker, a
gunicorn server) reach the same servers. Tests connect as the application role, never as a
superuser; the only extra grant is TRUNCATE, which Django's transactional tests use to empty
tables between tests.
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("OUTBOX_PUBLISHER", "redis_streams")
# Signing keys and edge model files of a test session never land in the working tree's var/.
if not os.environ.get("EDGE_MODEL_DIR"):
    _edge_scratch = Path(tempfile.mkdtemp(prefix="mlm-test-edge-"))
    os.environ["MANIFEST_LOCAL_KEY_DIR"] = str(_edge_scratch / "manifest-keys")
    os.environ["EDGE_MODEL_DIR"] = str(_edge_scratch / "edge-models")

if not os.environ.get("DATABASE_URL"):
    from melmastoon_ai.infra.local import local_database_urls

    _pgdata = Path(tempfile.mkdtemp(prefix="mlm-test-")) / "pgdata"
    _app_url, _owner_url = local_database_urls(_pgdata, grant_truncate=True, cleanup_mode="delete")
    os.environ["DATABASE_URL"] = _app_url
    os.environ["MIGRATION_DATABASE_URL"] = _owner_url

if not os.environ.get("REDIS_URL"):
    if os.environ.get("TEST_REDIS_URL"):
        os.environ["REDIS_URL"] = os.environ["TEST_REDIS_URL"]
    else:
        from melmastoon_ai.infra import embedded

        _redis = embedded.start_redis()
        os.environ["REDIS_URL"] = _redis.url

from melmastoon_ai.settings.base import *  # noqa: F403

# The prompt lifecycle tests check each promotion rule on its own; tests/evals/test_promotion.py
# turns the canary requirement back on and checks it with the others.
# In-process tests hold one connection per thread inside pytest-django's per-test transaction; the
# servers and workers the e2e tests start use the production pool (settings.base).
DATABASES["default"]["OPTIONS"].pop("pool", None)  # noqa: F405
PROVIDER_CALL_IN_TRANSACTION = "raise"  # a provider waited on inside a transaction fails the test
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast hashing in tests only
LOGGING["loggers"]["django.request"] = {"level": "ERROR"}  # 4xx are what many tests provoke  # noqa: F405
# The fake provider servers listen on loopback, and registry tests name in-cluster hosts that do
# not resolve here; tests of the SSRF refusal set this list empty.
MODEL_ENDPOINT_ALLOWED_HOSTS = ["127.0.0.1", ".internal", ".svc.cluster.local"]
# The webhook receivers of the tests listen on 127.0.0.1; the SSRF tests turn this off.
WEBHOOK_ALLOW_LOOPBACK = True
