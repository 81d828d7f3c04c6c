"""Every integer a caller can send is bounded: an oversized number is a 400, never a 500.

The walk goes over the OpenAPI document (drf-spectacular builds it from the serializers every
view declares), so a new endpoint or field with an unbounded integer fails here.
"""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from budgets.models import Budget
from melmastoon_ai.fields import JSON_SAFE_INTEGER
from melmastoon_ai.tenancy.context import tenant_context

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("token_limit", [10**27, 2**63, JSON_SAFE_INTEGER + 1, -1])
def test_an_oversized_token_limit_is_a_400_and_writes_nothing(client_a, tenant_a, token_limit):
    response = client_a.put("/api/v1/admin/budgets", {"feature": "pricing", "token_limit": token_limit},
                            format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_request"
    assert "token_limit" in response.json()["error"]["details"]["fields"]
    with tenant_context(tenant_a.id):  # row-level security: read as the tenant
        assert not Budget.objects.filter(tenant=tenant_a).exists()


def test_the_largest_accepted_token_limit_is_stored(client_a, tenant_a):
    response = client_a.put("/api/v1/admin/budgets", {"feature": "pricing", "token_limit": JSON_SAFE_INTEGER},
                            format="json")
    assert response.status_code == 200, response.content
    with tenant_context(tenant_a.id):
        assert Budget.objects.get(tenant=tenant_a).token_limit == JSON_SAFE_INTEGER


def _integers(schema: dict, components: dict, path: str, seen: frozenset = frozenset()):
    """(path, schema) of every integer reachable from `schema`, following $refs once per path."""
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name not in seen:
            yield from _integers(components[name], components, f"{path}<{name}>", seen | {name})
        return
    if schema.get("type") == "integer":
        yield path, schema
    for key, child in (schema.get("properties") or {}).items():
        yield from _integers(child, components, f"{path}.{key}", seen)
    for keyword in ("items", "additionalProperties"):
        if isinstance(schema.get(keyword), dict):
            yield from _integers(schema[keyword], components, f"{path}[]", seen)
    for keyword in ("allOf", "oneOf", "anyOf"):
        for index, child in enumerate(schema.get(keyword) or []):
            yield from _integers(child, components, f"{path}/{keyword}{index}", seen)


def _request_integers():
    document = SchemaGenerator().get_schema(request=None, public=True)
    components = document["components"]["schemas"]
    for route, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {route}"
            for parameter in operation.get("parameters", []):
                yield from _integers(parameter.get("schema", {}), components, f"{where} ?{parameter['name']}")
            for media in (operation.get("requestBody") or {}).get("content", {}).values():
                yield from _integers(media.get("schema", {}), components, f"{where} body")


def test_every_integer_a_request_can_carry_has_bounds_a_json_number_and_the_database_hold():
    found = list(_request_integers())
    assert any("token_limit" in path for path, _ in found)  # the walk reaches request bodies
    unbounded = [path for path, schema in found
                 if not (-JSON_SAFE_INTEGER <= schema.get("minimum", -2**64) <= schema.get("maximum", 2**64)
                         <= JSON_SAFE_INTEGER)]
    assert unbounded == []
