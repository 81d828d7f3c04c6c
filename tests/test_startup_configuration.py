"""What a process does at start: it refuses to run on a missing or unsafe configuration, attaches to
the run command's embedded servers only when they are up, logs its effective configuration without a
secret, and (a new web worker) reads the provider secrets again."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys

import pytest

from melmastoon_ai.configuration import effective_configuration, log_effective_configuration, reread_secrets
from melmastoon_ai.infra import local
from melmastoon_ai.observability.logging import ContextFilter, JsonFormatter
from melmastoon_ai.version import VERSION
from tests.e2e.conftest import ROOT

URL_VARIABLES = (
    "DATABASE_URL",
    "MIGRATION_DATABASE_URL",
    "REDIS_URL",
    "TEST_REDIS_URL",
    "SECRET_KEY",
    "DEBUG",
    "DEPLOYMENT_ENVIRONMENT",
    "EMBEDDED_SERVERS",
)


def _start(tmp_path, code: str = "import django; django.setup(); print('started')", **env: str):
    """A fresh Python process loading the production settings, with only the given configuration."""
    clean = {key: value for key, value in os.environ.items() if key not in URL_VARIABLES}
    clean.update(DJANGO_SETTINGS_MODULE="melmastoon_ai.settings.base", MELMASTOON_VAR_DIR=str(tmp_path / "var"), **env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120, check=False
    )


def test_without_database_url_a_process_fails_at_once_and_starts_no_embedded_server(tmp_path):
    result = _start(tmp_path, SECRET_KEY="x", REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode != 0
    assert "DATABASE_URL is not set" in result.stderr and "EMBEDDED_SERVERS=1" in result.stderr
    assert not (tmp_path / "var" / "pgdata").exists()


def test_without_redis_url_a_process_fails_at_once(tmp_path):
    result = _start(tmp_path, SECRET_KEY="x", DATABASE_URL=os.environ["DATABASE_URL"])
    assert result.returncode != 0 and "REDIS_URL is not set" in result.stderr


def test_the_web_server_itself_refuses_to_start_without_a_database(tmp_path):
    result = _start(
        tmp_path,
        "from melmastoon_ai.serve import main; main(['--workers', '1'])",
        SECRET_KEY="x",
        REDIS_URL="redis://127.0.0.1:1/0",
        PORT="0",
    )
    assert result.returncode != 0 and "DATABASE_URL is not set" in result.stderr + result.stdout


def test_a_command_beside_the_run_command_attaches_to_its_running_servers(tmp_path, monkeypatch):
    run_dir = tmp_path / "var" / "run"
    run_dir.mkdir(parents=True)
    (run_dir / "database.urls").write_text(f"{os.environ['DATABASE_URL']}\n{os.environ['MIGRATION_DATABASE_URL']}")
    (run_dir / "redis.url").write_text(os.environ["REDIS_URL"])
    result = _start(
        tmp_path,
        "import django; django.setup(); from django.db import connection; "
        "connection.ensure_connection(); print('attached')",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "attached" in result.stdout


def test_a_stale_url_file_of_a_stopped_run_command_is_not_trusted(tmp_path):
    run_dir = tmp_path / "var" / "run"
    run_dir.mkdir(parents=True)
    (run_dir / "database.urls").write_text("postgresql://melmastoon_app@/melmastoon?host=/nonexistent\nx")
    result = _start(tmp_path, SECRET_KEY="x", REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode != 0 and "DATABASE_URL is not set" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEPLOYMENT_ENVIRONMENT": "production", "DEBUG": "1"}, "DEBUG must be off in production"),
        ({"DEPLOYMENT_ENVIRONMENT": "prod"}, "DEPLOYMENT_ENVIRONMENT must be one of development, staging, production"),
        ({"DEPLOYMENT_ENVIRONMENT": "staging", "SECRET_KEY": ""}, "SECRET_KEY must be set"),
    ],
)
def test_unsafe_or_wrong_environments_are_refused(tmp_path, env, message):
    base = {"SECRET_KEY": "x", "DATABASE_URL": os.environ["DATABASE_URL"], "REDIS_URL": os.environ["REDIS_URL"]}
    result = _start(tmp_path, **(base | env))
    assert result.returncode != 0 and message in result.stderr


def test_the_effective_configuration_is_logged_without_any_secret(settings):
    secrets = {
        "OPENAI_API_KEY": "sk-live-openai-abcdef123456",
        "ANTHROPIC_API_KEY": "sk-ant-live-abcdef123456",
        "METRICS_TOKEN": "metrics-token-4f9a1c",
        "SIGNER_TOKEN": "signer-token-77e2b0",
        "JWT_PUBLIC_KEY": "-----BEGIN PUBLIC KEY-----MIIBIjAN",
        "VERTEX_ACCESS_TOKEN": "ya29.vertex-token-91",
    }
    for name, value in secrets.items():
        setattr(settings, name, value)
    settings.VERTEX_PROJECT = "melmastoon-prod-ai"
    settings.REDIS_URL = "redis://:redis-password-3c1@10.0.0.6:6379/2"
    settings.OPENAI_BASE_URL = "https://user:endpoint-password-9d@openai.example/v1?key=query-secret-5a"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("melmastoon_ai.configuration")
    logger.addHandler(handler)
    try:
        log_effective_configuration("web")
    finally:
        logger.removeHandler(handler)
    line = stream.getvalue()
    database_password = settings.DATABASES["default"].get("PASSWORD") or "no-password-configured"
    for secret in [
        *secrets.values(),
        "redis-password-3c1",
        "endpoint-password-9d",
        "query-secret-5a",
        database_password,
        settings.SECRET_KEY,
    ]:
        assert secret not in line
    record = json.loads(line)
    configuration = record["configuration"]
    assert record["message"] == "effective configuration" and record["component"] == "web"
    assert configuration["version"] == VERSION and configuration["environment"] == settings.DEPLOYMENT_ENVIRONMENT
    assert configuration["providers"]["openai"] == {"configured": True, "endpoint": "https://openai.example/v1"}
    assert configuration["providers"]["vertex"]["credentials"] == "static token"
    assert configuration["redis"] == {
        "scheme": "redis",
        "host": "10.0.0.6",
        "port": 6379,
        "db": "2",
        "password_set": True,
    }
    assert configuration["metrics_token_set"] is True and configuration["jwt"] == "public_key"
    assert configuration["replica_database"] is None


def test_effective_configuration_names_the_signer_and_publisher(settings):
    settings.MANIFEST_SIGNER = "kms:projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1"
    settings.MANIFEST_PUBLISHER_URL = "https://signer.internal/"
    configuration = effective_configuration()
    assert configuration["manifest_signer"] == settings.MANIFEST_SIGNER
    assert configuration["manifest_publisher_url"] == "https://signer.internal/"


def test_secrets_are_read_again_from_their_files(settings, tmp_path, monkeypatch):
    key_file = tmp_path / "openai"
    key_file.write_text("sk-rotated-key\n")
    monkeypatch.setenv("OPENAI_API_KEY_FILE", str(key_file))
    settings.OPENAI_API_KEY = "sk-old-key"
    assert reread_secrets(("OPENAI_API_KEY", "ANTHROPIC_API_KEY")) == ["OPENAI_API_KEY"]
    assert settings.OPENAI_API_KEY == "sk-rotated-key"
    assert reread_secrets(("OPENAI_API_KEY",)) == []


def test_run_files_are_private_to_their_user(tmp_path):
    path = tmp_path / "run" / "database.urls"
    local.write_run_file(path, "postgresql://x")
    assert path.stat().st_mode & 0o777 == 0o600
