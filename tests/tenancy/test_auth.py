"""API keys and JWTs: who gets in, with which scopes, bound to which tenant."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import call_command
from django.utils import timezone

from melmastoon_ai.tenancy import authentication
from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.tenancy.models import ApiKey, Tenant
from melmastoon_ai.tenancy.services import api_key_revoke, hash_api_key
from tests.factories import ApiKeyFactory

pytestmark = pytest.mark.django_db
KEYS_URL = "/api/v1/admin/api-keys"


def test_only_the_hash_of_a_key_is_stored(key_a):
    with tenant_context(key_a.key.tenant_id):
        stored = ApiKey.objects.get(pk=key_a.key.pk)
    assert stored.key_hash == hash_api_key(key_a.raw)
    assert key_a.raw not in json.dumps(list(ApiKey.objects.values()), default=str)


@pytest.mark.parametrize("header", ["HTTP_AUTHORIZATION", "HTTP_X_API_KEY"])
def test_key_in_either_header_authenticates_and_binds_the_tenant(anon_client, key_a, header):
    value = f"Bearer {key_a.raw}" if header == "HTTP_AUTHORIZATION" else key_a.raw
    response = anon_client.get(KEYS_URL, **{header: value})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [str(key_a.key.id)]


@pytest.mark.parametrize("credential", [None, "Bearer mlm_nosuchprefix_" + "x" * 40, "Bearer garbage", "Basic abc"])
def test_missing_or_unknown_credentials_are_401(anon_client, credential):
    kwargs = {"HTTP_AUTHORIZATION": credential} if credential else {}
    response = anon_client.get(KEYS_URL, **kwargs)
    assert response.status_code == 401
    body = response.json()["error"]
    assert body["code"] == "unauthenticated"
    assert body["request_id"] == response["X-Request-ID"]


def test_a_key_with_the_right_prefix_but_wrong_secret_is_401(anon_client, key_a):
    forged = key_a.raw[:-4] + ("AAAA" if not key_a.raw.endswith("AAAA") else "BBBB")
    response = anon_client.get(KEYS_URL, HTTP_X_API_KEY=forged)
    assert response.status_code == 401


def test_revoked_key_is_401(client_a, key_a):
    api_key_revoke(tenant_id=key_a.key.tenant_id, key_id=key_a.key.id)
    response = client_a.get(KEYS_URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_expired_key_is_401(client_a, key_a):
    with tenant_context(key_a.key.tenant_id):
        ApiKey.objects.filter(pk=key_a.key.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client_a.get(KEYS_URL).status_code == 401


def test_key_without_scope_is_403(client_for, tenant_a):
    invoke_only = ApiKeyFactory(tenant=tenant_a, scopes=["ai:invoke"])
    response = client_for(invoke_only.raw).get(KEYS_URL)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert "ai:admin" in response.json()["error"]["message"]


def test_suspended_tenant_is_403(client_a, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(status=Tenant.Status.SUSPENDED)
    assert client_a.get(KEYS_URL).status_code == 403


def test_last_used_is_recorded_after_the_request_commits(client_a, key_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        assert client_a.get(KEYS_URL).status_code == 200
    with tenant_context(key_a.key.tenant_id):
        assert ApiKey.objects.get(pk=key_a.key.pk).last_used_at is None  # not inside the request's transaction
    for callback in after_commit:
        callback()
    with tenant_context(key_a.key.tenant_id):
        assert ApiKey.objects.get(pk=key_a.key.pk).last_used_at is not None


def test_last_used_is_written_at_most_once_a_minute_across_processes(
    client_a, key_a, django_capture_on_commit_callbacks
):
    from melmastoon_ai.tenancy import services

    with django_capture_on_commit_callbacks(execute=True) as first:
        client_a.get(KEYS_URL)
    services._last_touched.clear()  # another process: only the Redis gate stands between it and a write
    with django_capture_on_commit_callbacks(execute=True) as second:
        client_a.get(KEYS_URL)
    assert len(first) == 1 and len(second) == 0


def test_admin_api_creates_a_key_shown_once_and_it_works(client_a, anon_client):
    response = client_a.post(KEYS_URL, {"name": "pricing-service", "scopes": ["ai:invoke"]}, format="json")
    assert response.status_code == 201
    raw = response.json()["key"]
    assert anon_client.get(KEYS_URL, HTTP_X_API_KEY=raw).status_code == 403  # works, but lacks ai:admin
    listed = client_a.get(KEYS_URL).json()
    assert all("key" not in row and "key_hash" not in row for row in listed)


def test_admin_api_rejects_unknown_scopes_with_400(client_a):
    response = client_a.post(KEYS_URL, {"scopes": ["ai:everything"]}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


def test_revoking_another_tenants_key_is_404(client_a, key_b, client_b):
    response = client_a.post(f"{KEYS_URL}/{key_b.key.id}/revoke")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert client_b.get(KEYS_URL).status_code == 200


def test_create_tenant_and_create_api_key_commands(capsys, anon_client):
    call_command("create_tenant", "Hotel Herat", "--region", "europe-west1", "--monthly-token-limit", "500000")
    tenant_id = uuid.UUID(capsys.readouterr().out.strip())
    tenant = Tenant.objects.get(pk=tenant_id)
    assert (tenant.name, tenant.monthly_token_limit) == ("Hotel Herat", 500000)
    call_command("create_api_key", "--tenant", str(tenant_id), "--scopes", "ai:invoke,ai:admin")
    raw = capsys.readouterr().out.strip()
    assert raw.startswith("mlm_")
    assert anon_client.get(KEYS_URL, HTTP_X_API_KEY=raw).status_code == 200


# --- JWT ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _token(key, **claims) -> str:
    body = {"exp": timezone.now() + dt.timedelta(minutes=5), "iss": "iam", "aud": "melmastoon-ai"} | claims
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture
def jwt_settings(settings, rsa_key):
    settings.JWT_PUBLIC_KEY = _pem(rsa_key)
    settings.JWT_ISSUER = "iam"
    settings.JWT_AUDIENCE = "melmastoon-ai"
    return settings


def test_jwt_with_tenant_and_scope_authenticates(jwt_settings, rsa_key, anon_client, tenant_a, key_a):
    token = _token(rsa_key, tenant_id=str(tenant_a.id), scope="melmastoon:ai:invoke melmastoon:ai:admin")
    response = anon_client.get(KEYS_URL, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [str(key_a.key.id)]


def test_jwt_without_the_scope_is_403(jwt_settings, rsa_key, anon_client, tenant_a):
    token = _token(rsa_key, tenant_id=str(tenant_a.id), scope="melmastoon:ai:invoke")
    assert anon_client.get(KEYS_URL, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 403


@pytest.mark.parametrize(
    "scope",
    ["ai:admin", ["ai:admin"], "other:ai:admin", "melmastoon:ai:ai:admin", "melmastoon:admin", "MELMASTOON:ai:admin"],
)
def test_jwt_scopes_without_the_melmastoon_ai_prefix_grant_nothing(jwt_settings, rsa_key, anon_client, tenant_a, scope):
    token = _token(rsa_key, tenant_id=str(tenant_a.id), scope=scope)
    response = anon_client.get(KEYS_URL, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "forbidden"


def test_only_melmastoon_ai_scopes_count_from_a_jwt_claim():
    from melmastoon_ai.tenancy.authentication import scopes_from_claim

    claim = "melmastoon:ai:invoke ai:admin melmastoon:ai:review openid melmastoon:ai:everything"
    assert scopes_from_claim(claim) == frozenset({"ai:invoke", "ai:review"})
    assert scopes_from_claim(["melmastoon:ai:admin", 7, None]) == frozenset({"ai:admin"})
    assert scopes_from_claim(None) == frozenset()


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)},
        {"aud": "someone-else"},
        {"iss": "attacker"},
        {"tenant_id": "not-a-uuid"},
    ],
    ids=["expired", "wrong-audience", "wrong-issuer", "bad-tenant"],
)
def test_invalid_jwts_are_401(jwt_settings, rsa_key, anon_client, tenant_a, claims):
    token = _token(rsa_key, **({"tenant_id": str(tenant_a.id), "scope": "melmastoon:ai:admin"} | claims))
    assert anon_client.get(KEYS_URL, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_jwt_signed_by_another_key_is_401(jwt_settings, anon_client, tenant_a):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = _token(other, tenant_id=str(tenant_a.id), scope="melmastoon:ai:admin")
    assert anon_client.get(KEYS_URL, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_jwt_is_refused_when_jwt_auth_is_off(settings, rsa_key, anon_client, tenant_a):
    settings.JWT_PUBLIC_KEY = None
    settings.JWT_JWKS_URL = None
    token = _token(rsa_key, tenant_id=str(tenant_a.id), scope="melmastoon:ai:admin")
    assert anon_client.get(KEYS_URL, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_jwt_verified_through_a_jwks_url(settings, rsa_key, anon_client, tenant_a):
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    body = json.dumps({"keys": [jwk | {"kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings.JWT_PUBLIC_KEY = None
        settings.JWT_JWKS_URL = f"http://127.0.0.1:{server.server_port}/jwks.json"
        settings.JWT_ISSUER = "iam"
        settings.JWT_AUDIENCE = "melmastoon-ai"
        authentication._jwks_client.cache_clear()
        token = _token(rsa_key, tenant_id=str(tenant_a.id), scope=["melmastoon:ai:admin"])
        assert anon_client.get(KEYS_URL, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    finally:
        server.shutdown()
        authentication._jwks_client.cache_clear()


@pytest.mark.parametrize("thresholds", [{"hate": 2}, {"violence": 0.5}, {"hate": True}, ["hate"]])
def test_invalid_moderation_thresholds_are_refused(tenant_a, thresholds):
    from django.core.exceptions import ValidationError

    tenant_a.moderation_thresholds = thresholds
    with pytest.raises(ValidationError):
        tenant_a.full_clean()


PLATFORM_ADMIN_CALLS = [
    ("get", "/api/v1/admin/prompts"),
    ("post", "/api/v1/admin/prompts/PRMP_PRICING_001/versions"),
    ("post", "/api/v1/admin/evals/runs"),
    ("post", "/api/v1/admin/manifests"),
    ("post", "/api/v1/admin/manifests/rotate-key"),
]


@pytest.mark.parametrize(("method", "path"), PLATFORM_ADMIN_CALLS)
def test_a_hotels_admin_key_cannot_administer_platform_wide_resources(client_b, operator_a, catalog, method, path):
    """ai:admin is per tenant: a hotel administers its keys and budgets, never the prompt registry,
    the evals or the edge manifests every hotel is served from."""
    response = getattr(client_b, method)(path, {}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")
    assert "operator" in response.json()["error"]["message"]


def test_the_operators_admin_key_reaches_the_platform_admin_api_and_a_hotel_still_its_own(
    client_a, client_b, operator_a, catalog
):
    assert client_a.get("/api/v1/admin/prompts").status_code == 200
    assert client_b.get("/api/v1/admin/api-keys").status_code == 200  # its own keys: tenant-level


def test_create_tenant_can_make_the_operators_tenant(capsys):
    from django.core.management import call_command

    from melmastoon_ai.tenancy.models import Tenant

    call_command("create_tenant", "Melmastoon operations", "--operator")
    tenant = Tenant.objects.get(pk=capsys.readouterr().out.strip())
    assert tenant.operator
