"""The OpenAI-compatible surface in-process (the SDK-level tests are in tests/e2e/test_openai_sdk_e2e.py):
the rate limit and the budget hold, and the chat mapping of the catalog rows."""

from __future__ import annotations

import pytest

from capabilities.chat_mapping import BadMessages, chat_input, output_content
from capabilities.models import Capability
from melmastoon_ai.tenancy.models import Tenant

pytestmark = pytest.mark.django_db
URL = "/v1/chat/completions"


def tutor(question="Where is the fire exit?"):
    return {"model": "tutor.answer", "messages": [{"role": "user", "content": question}]}


def test_the_rate_limit_answers_openais_429(client_a, catalog, tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(rate_limit_per_minute=1)
    statuses = [client_a.post(URL, tutor(), format="json").status_code for _ in range(3)]
    assert statuses[0] == 200 and 429 in statuses
    limited = client_a.post(URL, tutor(), format="json")
    assert limited.json()["error"]["type"] == "rate_limit_error" and limited["Retry-After"]


def test_a_spent_budget_degrades_to_the_deterministic_answer(
    client_a, catalog, tenant_a, providers_from_settings, loopback_only
):
    assert client_a.put("/api/v1/admin/budgets", {"token_limit": 1}, format="json").status_code == 200
    body = client_a.post(URL, tutor(), format="json").json()
    assert body["choices"][0]["message"]["content"]
    assert body["provenance"]["degraded"] is True
    assert "budget" in [attempt["outcome"] for attempt in body["provenance"]["attempts"]]


def test_the_catalog_maps_messages_to_each_chat_capabilitys_input(catalog):
    translation = Capability.objects.get(pk="translation.draft").chat_mapping
    mapped = chat_input(
        translation,
        [
            {"role": "system", "content": "source_locale: en\ntarget_locale: fa"},
            {"role": "user", "content": "Breakfast is at seven."},
        ],
    )
    assert mapped.input == {"source_text": "Breakfast is at seven.", "source_locale": "en", "target_locale": "fa"}
    tutor_mapping = Capability.objects.get(pk="tutor.answer").chat_mapping
    mapped = chat_input(
        tutor_mapping,
        [
            {"role": "user", "content": "First?"},
            {"role": "assistant", "content": "x"},
            {"role": "user", "content": [{"type": "text", "text": "Second?"}]},
        ],
    )
    assert mapped.input == {"question": "Second?", "locale": "en"} and mapped.locale == "en"
    draft = Capability.objects.get(pk="message.draft").chat_mapping
    with pytest.raises(BadMessages):
        chat_input(draft, [{"role": "user", "content": "not json"}])
    assert output_content(draft, {"body": "Hello", "subject": "s"}, as_json=False) == "Hello"
    assert output_content(draft, {"body": "Hello"}, as_json=True) == '{"body":"Hello"}'
    assert {spec.id for spec in Capability.objects.exclude(chat_mapping={})} == {
        "message.draft",
        "tutor.answer",
        "review.summarize",
        "description.generate",
        "translation.draft",
    }
