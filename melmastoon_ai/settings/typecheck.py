"""Settings for mypy's Django plugin only: it imports settings to learn the installed apps and
models, and must not start or reach a database or Redis to do so."""

import os

os.environ.setdefault("SECRET_KEY", "typecheck-only")
os.environ.setdefault("DATABASE_URL", "postgresql://typecheck@/typecheck?host=/nonexistent")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:1/0")

from melmastoon_ai.settings.base import *  # noqa: F403
