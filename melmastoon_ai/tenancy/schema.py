"""OpenAPI security schemes for our authenticators (drf-spectacular extensions)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "melmastoon_ai.tenancy.authentication.ApiKeyAuthentication"
    name = "ApiKeyHeader"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "An API key (`mlm_...`); `Authorization: Bearer <key>` works too.",
        }


class JwtScheme(OpenApiAuthenticationExtension):
    target_class = "melmastoon_ai.tenancy.authentication.JwtAuthentication"
    name = "BearerJWT"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An RS256 JWT with tenant_id and scope claims (BFF callers).",
        }
