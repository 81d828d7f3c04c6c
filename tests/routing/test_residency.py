"""Residency follows the endpoint a call goes to: each cloud adapter says where it processes."""

from __future__ import annotations

import uuid

from routing.providers.anthropic.client import AnthropicAdapter, AnthropicConfig
from routing.providers.base import RequestContext
from routing.providers.openai.client import OpenAIAdapter, OpenAIConfig
from routing.providers.vertex.client import VertexAdapter, VertexConfig
from routing.residency import eu_resident, processing_regions


def context(region: str = "europe-west1") -> RequestContext:
    return RequestContext(
        tenant_id=str(uuid.uuid4()),
        tenant_region=region,
        tenant_country="DE",
        locale="en",
        feature="t",
        offline=False,
        eu_only=True,
    )


def test_the_direct_anthropic_api_is_not_eu_resident_and_claude_on_vertex_is():
    direct = AnthropicAdapter(AnthropicConfig(api_key="sk-ant-fake"))
    on_vertex = AnthropicAdapter(AnthropicConfig(vertex=True, vertex_project="p"))
    assert processing_regions(direct, context()) == ("us",)
    assert not eu_resident(provider="anthropic", adapter=direct, context=context())
    assert processing_regions(on_vertex, context("europe-west4")) == ("europe-west4",)
    assert eu_resident(provider="anthropic", adapter=on_vertex, context=context())
    assert not eu_resident(provider="anthropic", adapter=on_vertex, context=context("us-east5"))


def test_vertex_is_resident_where_it_is_called_and_openai_never_in_the_eu():
    vertex = VertexAdapter(VertexConfig(project="p"))
    assert eu_resident(provider="vertex", adapter=vertex, context=context("europe-west1"))
    assert not eu_resident(provider="vertex", adapter=vertex, context=context("us-central1"))
    assert not eu_resident(provider="openai", adapter=OpenAIAdapter(OpenAIConfig(api_key="k")), context=context())


def test_catalog_regions_count_only_when_every_one_is_in_the_eu():
    assert not eu_resident(provider="x", adapter=None, context=context(), fallback=("europe-west1", "us"))
    assert eu_resident(provider="x", adapter=None, context=context(), fallback=("europe-west1", "eu"))
    assert not eu_resident(provider="x", adapter=None, context=context(), fallback=())
    assert eu_resident(provider="edge", adapter=None, context=context())
