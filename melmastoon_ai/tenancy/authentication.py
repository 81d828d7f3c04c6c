"""DRF authentication: API keys for services, RS256 JWTs for BFFs.

A successful authentication resolves the tenant and activates it on the request's transaction,
so every query after this point is bound by row-level security to that tenant.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field

import jwt
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework import authentication, exceptions

from melmastoon_ai.tenancy import selectors, services
from melmastoon_ai.tenancy.context import activate_tenant
from melmastoon_ai.tenancy.models import ApiKey, Tenant

JWT_SCOPE_PREFIX = "melmastoon:"


@dataclass(frozen=True)
class Principal:
    tenant: Tenant
    scopes: frozenset[str]
    kind: str  # "api_key" or "jwt"
    credential_id: str
    is_authenticated: bool = field(default=True, init=False)

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.tenant.id

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


def _bind(principal: Principal) -> tuple[Principal, Principal]:
    if not principal.tenant.is_active:
        raise exceptions.PermissionDenied("The tenant is suspended.")
    if connection.in_atomic_block:
        activate_tenant(principal.tenant_id)
    return principal, principal


def api_key_principal(raw: str) -> Principal:
    """The principal of a raw API key: well-formed, known, not revoked or expired, its tenant
    active. The one check of a key, for HTTP (below) and for the Pub/Sub inference-request
    subscriber (capabilities/inference_subscriber.py), which reads the key from an attribute.
    Raises AuthenticationFailed / PermissionDenied (suspended tenant)."""
    raw = raw.strip()
    prefix = services.parse_api_key(raw)
    if prefix is None:
        raise exceptions.AuthenticationFailed("Unknown API key.")
    credential = selectors.api_key_credential(prefix=prefix, key_hash=services.hash_api_key(raw))
    if credential is None:
        raise exceptions.AuthenticationFailed("Unknown API key.")
    if not credential.usable_at(timezone.now()):
        raise exceptions.AuthenticationFailed("The API key is revoked or expired.")
    if not credential.tenant.is_active:
        raise exceptions.PermissionDenied("The tenant is suspended.")
    services.api_key_touch(
        tenant_id=credential.tenant.id,
        key_id=credential.key_id,
        resolution_seconds=settings.API_KEY_LAST_USED_RESOLUTION_SECONDS,
    )
    return Principal(
        tenant=credential.tenant,
        scopes=frozenset(credential.scopes),
        kind="api_key",
        credential_id=credential.key_id,
    )


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        raw = request.headers.get("X-API-Key")
        if raw is None:
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.startswith(services.KEY_PREFIX):
                return None
            raw = token
        return _bind(api_key_principal(raw))

    def authenticate_header(self, request):
        return 'Bearer realm="melmastoon-ai"'


@functools.lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5)


def _verification_key(token: str):
    if settings.JWT_JWKS_URL:
        return _jwks_client(settings.JWT_JWKS_URL).get_signing_key_from_jwt(token).key
    return settings.JWT_PUBLIC_KEY


def decode_jwt(token: str) -> dict:
    options = {"require": ["exp", "tenant_id"], "verify_aud": bool(settings.JWT_AUDIENCE)}
    return jwt.decode(
        token,
        _verification_key(token),
        algorithms=["RS256"],
        options=options,
        audience=settings.JWT_AUDIENCE,
        issuer=settings.JWT_ISSUER,
    )


def scopes_from_claim(claim: str | list | None) -> frozenset[str]:
    """The gateway's scopes named in a JWT `scope` claim: only `melmastoon:ai:<scope>` counts.

    A BFF's token carries scopes of many services; a bare `ai:admin` or another service's
    `other:ai:admin` must not grant anything here, nor must a scope the gateway does not know.
    """
    items = claim.split() if isinstance(claim, str) else list(claim or [])
    return frozenset(
        item.removeprefix(JWT_SCOPE_PREFIX)
        for item in items
        if isinstance(item, str)
        and item.startswith(JWT_SCOPE_PREFIX)
        and item.removeprefix(JWT_SCOPE_PREFIX) in ApiKey.Scope.values
    )


class JwtAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        if token.count(".") != 2 or not (settings.JWT_JWKS_URL or settings.JWT_PUBLIC_KEY):
            raise exceptions.AuthenticationFailed("Unknown credential.")
        try:
            claims = decode_jwt(token)
            tenant_id = uuid.UUID(str(claims["tenant_id"]))
        except (jwt.PyJWTError, ValueError, KeyError) as exc:
            raise exceptions.AuthenticationFailed("Invalid or expired token.") from exc
        tenant = selectors.tenant_get(tenant_id=tenant_id)
        if tenant is None:
            raise exceptions.AuthenticationFailed("Unknown tenant.")
        principal = Principal(
            tenant=tenant,
            scopes=scopes_from_claim(claims.get("scope")),
            kind="jwt",
            credential_id=str(claims.get("sub", "")),
        )
        return _bind(principal)

    def authenticate_header(self, request):
        return 'Bearer realm="melmastoon-ai"'
