"""Builders shared by the provider tests: requests, recorded payloads, the fakes' credentials."""

from __future__ import annotations

import json
from pathlib import Path

from capabilities.schemas import load_definition
from routing.providers.base import ProviderRequest, RequestContext

FAKE_PROJECT = "fake-project"
FAKE_VERTEX_TOKEN = "fake-vertex-token"
FAKE_OPENAI_KEY = "sk-fake-openai"
FAKE_ANTHROPIC_KEY = "sk-ant-fake"
HERE = Path(__file__).resolve().parent


def context(region: str = "europe-west1") -> RequestContext:
    return RequestContext(
        tenant_id="00000000-0000-0000-0000-000000000001",
        tenant_region=region,
        tenant_country="AF",
        locale="en",
        feature="tests",
        offline=False,
    )


def make_request(
    capability_id: str = "pricing.suggest",
    *,
    model: str = "test-model",
    timeout: float = 2.0,
    region: str = "europe-west1",
    payload: dict | None = None,
    system_prompt: str | None = None,
    user_prompt: str | None = None,
) -> ProviderRequest:
    """A request for a catalog capability, its first example as the input."""
    definition = load_definition(capability_id)
    return ProviderRequest(
        capability_id=capability_id,
        model=model,
        system_prompt=system_prompt,
        user_prompt=user_prompt,
        payload=payload if payload is not None else definition["examples"][0],
        output_schema=definition["output_schema"],
        max_output_tokens=512,
        temperature=0.2,
        timeout_seconds=timeout,
        context=context(region),
    )


def recorded(provider: str, name: str) -> dict:
    """A recorded payload: tests/routing/providers/<provider>/fixtures/<name>.json."""
    return json.loads((HERE / provider / "fixtures" / f"{name}.json").read_text(encoding="utf-8"))


def recorded_request(provider: str, name: str) -> tuple[ProviderRequest, dict]:
    """A recorded request fixture: our request (`request`) and what the provider must be sent (`expected`)."""
    data = recorded(provider, name)
    return ProviderRequest(**data["request"], context=context()), data["expected"]
