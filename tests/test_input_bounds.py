"""Hostile bodies get a 400, never a 500: every integer a caller can send is bounded, and JSON
nested deeper than MAX_JSON_DEPTH is refused by the parser before anything recurses over it.

The integer walk goes over the OpenAPI document (drf-spectacular builds it from the serializers
every view declares), so a new endpoint or field with an unbounded integer fails here.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator

from budgets.models import Budget
from melmastoon_ai.fields import JSON_SAFE_INTEGER
from melmastoon_ai.parsers import JsonTooDeep, json_loads_bounded
from melmastoon_ai.tenancy.context import tenant_context
from melmastoon_ai.tenancy.models import Tenant

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("token_limit", [10**27, 2**63, JSON_SAFE_INTEGER + 1, -1])
def test_an_oversized_token_limit_is_a_400_and_writes_nothing(client_a, tenant_a, token_limit):
    response = client_a.put("/api/v1/admin/budgets", {"feature": "pricing", "token_limit": token_limit}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_request"
    assert "token_limit" in response.json()["error"]["details"]["fields"]
    with tenant_context(tenant_a.id):  # row-level security: read as the tenant
        assert not Budget.objects.filter(tenant=tenant_a).exists()


def test_the_largest_accepted_token_limit_is_stored(client_a, tenant_a):
    response = client_a.put(
        "/api/v1/admin/budgets", {"feature": "pricing", "token_limit": JSON_SAFE_INTEGER}, format="json"
    )
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
    unbounded = [
        path
        for path, schema in found
        if not (
            -JSON_SAFE_INTEGER <= schema.get("minimum", -(2**64)) <= schema.get("maximum", 2**64) <= JSON_SAFE_INTEGER
        )
    ]
    assert unbounded == []


# --- nesting depth: refused before anything recurses -------------------------------------------


def _nested(depth: int, leaf: str = "1") -> str:
    return '{"a":' * depth + leaf + "}" * depth


@pytest.mark.parametrize("depth", [400, 1_000, 100_000])
@pytest.mark.parametrize(
    "method, url, body",
    [
        ("post", "/api/v1/ai/complete", '{"capability": "review.summarize", "context": {}, "input": %s}'),
        ("post", "/api/v1/ai/moderate", '{"text": "hello", "locale": %s}'),
        ("post", "/api/v1/ai/embed", '{"texts": %s}'),
        ("put", "/api/v1/admin/budgets", '{"feature": %s}'),
        ("post", "/api/v1/admin/api-keys", '{"scopes": %s}'),
    ],
    ids=["complete", "moderate", "embed", "budgets", "api-keys"],
)
def test_deeply_nested_json_is_a_400_on_every_json_endpoint(client_a, tenant_a, catalog, method, url, body, depth):
    Tenant.objects.filter(pk=tenant_a.pk).update(rate_limit_per_minute=1_000_000)
    response = getattr(client_a, method)(url, body % _nested(depth), content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert f"deeper than {settings.MAX_JSON_DEPTH}" in error["message"]


def test_json_at_the_documented_depth_still_parses_and_brackets_in_strings_do_not_count():
    limit = settings.MAX_JSON_DEPTH
    assert json_loads_bounded("[" * limit + "]" * limit, max_depth=limit) == eval("[" * limit + "]" * limit)  # noqa: S307
    with pytest.raises(JsonTooDeep):
        json_loads_bounded("[" * (limit + 1) + "]" * (limit + 1), max_depth=limit)
    text = '{"a": "[[[[{{{{ \\" [[[[", "b": ["]]]]"]}'
    assert json_loads_bounded(text, max_depth=2) == {"a": '[[[[{{{{ " [[[[', "b": ["]]]]"]}
    with pytest.raises(JsonTooDeep):
        json_loads_bounded('{"a": [[1]]}', max_depth=2)


def test_a_number_too_large_for_a_double_is_a_400_not_an_infinity_stored(client_a, tenant_a, catalog):
    """json reads 1e400 as infinity; PostgreSQL's jsonb refuses it: the parser refuses it first."""
    Tenant.objects.filter(pk=tenant_a.pk).update(rate_limit_per_minute=1_000_000)
    body = (
        '{"capability": "pricing.suggest", "context": {}, "input": {"bar": {"amount": 1e400, "currency": "EUR"},'
        ' "occupancy_pct": 88, "stay_date": "2027-03-14"}}'
    )
    response = client_a.post("/api/v1/ai/complete", body, content_type="application/json")
    assert response.status_code == 400 and "out of range" in response.json()["error"]["message"]
    assert json_loads_bounded("[1.5e300, -2.0]") == [1.5e300, -2.0]


@pytest.mark.parametrize("padding", ["\u001f", " ", "\u00a0", "\u001c\u001d"])
def test_max_length_holds_for_the_string_as_sent_not_after_trimming(client_a, tenant_a, padding):
    # Found by schemathesis in CI: DRF trims before its length validator, and Python counts
    # U+001C..U+001F as whitespace, so 2,000 characters plus a leading U+001F were accepted.
    query = padding + "q" * 2000
    response = client_a.post("/api/v1/ai/rag/search", {"query": query}, format="json")
    assert response.status_code == 400, response.content
    assert "query" in response.json()["error"]["details"]["fields"]
    at_limit = client_a.post("/api/v1/ai/rag/search", {"query": " " + "q" * 1999}, format="json")
    assert at_limit.status_code == 200, at_limit.content
