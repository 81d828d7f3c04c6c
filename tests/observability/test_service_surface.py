"""Health, readiness, metrics, OpenAPI, request ids, the error envelope and JSON logs."""

from __future__ import annotations

import json
import logging

import pytest

from melmastoon_ai.observability.logging import ContextFilter, JsonFormatter
from melmastoon_ai.version import VERSION

pytestmark = pytest.mark.django_db


def test_healthz_reports_the_version_and_every_response_carries_it(anon_client):
    response = anon_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": VERSION, "build": ""}
    assert response["X-Melmastoon-Version"] == VERSION
    assert anon_client.get("/api/v1/ai/capabilities")["X-Melmastoon-Version"] == VERSION  # a 401 too


def test_readyz_ok_when_database_redis_and_migrations_are(anon_client, catalog):
    response = anon_client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert {"database", "redis", "migrations"} <= set(response.json()["checks"])


def test_readyz_503_names_the_failing_check(anon_client, settings, catalog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = anon_client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["redis"]
    assert body["checks"]["database"]["status"] == "ok"


def test_a_failing_database_skips_what_reads_it_so_readyz_answers_within_one_wait(anon_client, monkeypatch, catalog):
    from melmastoon_ai.observability import health

    asked = []
    monkeypatch.setitem(health._CHECKS, "database", lambda: "no database connection within 1 s")
    monkeypatch.setitem(health._DETAILS, "reads_database", lambda: asked.append("db") or {"x": 1})
    monkeypatch.setitem(health._DETAILS, "reads_redis", lambda: asked.append("redis") or {"y": 2})
    monkeypatch.setattr(health, "_DETAILS_NEED_NO_DATABASE", {"reads_redis"})
    body = anon_client.get("/readyz").json()
    assert {"database", "migrations", "catalog"} <= set(body["failing"])
    assert body["checks"]["migrations"]["detail"] == "database unavailable"
    assert body["details"]["reads_database"] == {"unavailable": "database"}
    assert body["details"]["reads_redis"] == {"y": 2}
    assert asked == ["redis"]


def test_metrics_are_prometheus_text(anon_client, metrics_scraper):
    anon_client.get("/healthz")
    response = metrics_scraper.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"melmastoon_http_requests_total" in response.content


def test_openapi_schema_is_served_and_lists_the_api(anon_client):
    response = anon_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    assert "/api/v1/admin/api-keys" in document["paths"]


def test_api_docs_page(anon_client):
    assert anon_client.get("/api/docs/").status_code == 200


def test_request_id_is_generated_or_kept(anon_client):
    generated = anon_client.get("/healthz")["X-Request-ID"]
    assert len(generated) == 32
    assert anon_client.get("/healthz", HTTP_X_REQUEST_ID="trace-123")["X-Request-ID"] == "trace-123"
    assert anon_client.get("/healthz", HTTP_X_REQUEST_ID="bad id\n")["X-Request-ID"] != "bad id\n"


def test_unknown_api_path_is_404_in_the_envelope(client_a):
    response = client_a.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["request_id"] == response["X-Request-ID"]


def test_body_over_the_limit_is_413_before_parsing(client_a, settings):
    body = "x" * (settings.MAX_REQUEST_BODY_BYTES + 1)
    response = client_a.post("/api/v1/admin/api-keys", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize("body", ["{not json", "[1, 2", '"just a string'])
def test_malformed_json_is_400_invalid_request(client_a, body):
    response = client_a.post("/api/v1/admin/api-keys", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


def test_wrong_method_is_405_in_the_envelope(client_a):
    response = client_a.delete("/api/v1/admin/api-keys")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_json_logs_carry_request_id_and_never_secrets():
    formatter = JsonFormatter()
    record = logging.LogRecord(
        "melmastoon",
        logging.INFO,
        __file__,
        1,
        "calling with key mlm_abcdefgh12_SECRETSECRETSECRETSECRET and Bearer eyJa.b.c",
        None,
        None,
    )
    ContextFilter().filter(record)
    line = json.loads(formatter.format(record))
    assert {"level", "logger", "message", "request_id", "tenant_id", "timestamp"} <= set(line)
    assert "SECRETSECRET" not in line["message"]
    assert "eyJa.b.c" not in line["message"]


def test_database_url_passwords_are_scrubbed():
    from melmastoon_ai.observability.scrub import scrub_text

    assert "hunter2" not in scrub_text("could not connect to postgresql://app:hunter2@db:5432/x")


def test_log_lines_never_carry_personal_data():
    formatter = JsonFormatter()
    record = logging.LogRecord(
        "melmastoon",
        logging.INFO,
        __file__,
        1,
        "guest wrote from amina.r@example.com, call +93 70 123 4567",
        None,
        None,
    )
    record.note = "card 4111 1111 1111 1111"
    ContextFilter().filter(record)
    line = formatter.format(record)
    for value in ("amina.r@example.com", "70 123 4567", "4111 1111 1111 1111"):
        assert value not in line
    assert "<EMAIL_1>" in json.loads(line)["message"]


def test_metrics_are_not_public_they_need_the_scrape_token(anon_client, client_a, settings, tenant_a):
    """/metrics lists tenant ids with their usage: an anonymous caller or a tenant's key sees nothing."""
    settings.METRICS_TOKEN = "scrape-secret"
    for response in (
        anon_client.get("/metrics"),
        client_a.get("/metrics"),
        anon_client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-secret"),
    ):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert str(tenant_a.id).encode() not in response.content
    scraped = anon_client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")
    assert scraped.status_code == 200 and b"melmastoon_http_requests_total" in scraped.content


def test_without_a_token_metrics_are_refused_in_production_and_open_in_development(anon_client, settings):
    settings.METRICS_TOKEN = None
    settings.DEBUG = False
    refused = anon_client.get("/metrics")
    assert refused.status_code == 403 and "METRICS_TOKEN" in refused.json()["error"]["message"]
    settings.DEBUG = True
    assert anon_client.get("/metrics").status_code == 200
