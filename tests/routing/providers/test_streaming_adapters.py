"""Each streaming adapter through its real SDK against the fake server's streaming wire format:
the text arrives in pieces that make the whole answer, usage comes with the last ones, and a
failure is a ProviderError before the first piece (status, refusal) or after it (broken off)."""

from __future__ import annotations

import json

import pytest

from routing.providers.base import ProviderError
from tests.routing.providers.test_adapters_against_fakes import TARGETS, Target, make_request

pytestmark = pytest.mark.django_db  # self-hosted endpoints come from the deployment registry
STREAMING = [name for name in TARGETS if name != "anthropic_on_vertex"]


@pytest.fixture(params=STREAMING)
def target(request) -> Target:
    fake_fixture, model, build = TARGETS[request.param]
    fake = request.getfixturevalue(fake_fixture)
    return Target(request.param, build(fake.base_url), fake, model)


def read_all(chunks) -> tuple[str, list]:
    pieces = list(chunks)
    return "".join(piece.text for piece in pieces), pieces


@pytest.mark.parametrize("capability_id", ["message.draft", "tutor.answer"])
def test_the_streamed_pieces_make_the_whole_answer_with_usage(target, capability_id):
    request = make_request(capability_id, model=target.model)
    whole = target.adapter.complete(request)
    text, pieces = read_all(target.adapter.stream(request))
    assert json.loads(text) == whole.output
    assert sum(1 for piece in pieces if piece.text) >= 3
    assert [piece.output_tokens for piece in pieces if piece.output_tokens is not None][-1] == whole.output_tokens > 0
    assert any(piece.input_tokens for piece in pieces)


def test_an_error_status_fails_before_any_text(target):
    target.fake.script(status=503)
    with pytest.raises(ProviderError) as failed:
        read_all(target.adapter.stream(make_request("message.draft", model=target.model)))
    assert failed.value.kind == "overloaded" and failed.value.retryable


@pytest.mark.parametrize("failure", [{"truncated": True}, {"stream_error": True}])
def test_an_answer_broken_off_mid_stream_raises_after_its_first_pieces(target, failure):
    target.fake.script(**failure)
    chunks = target.adapter.stream(make_request("message.draft", model=target.model))
    received = []
    with pytest.raises(ProviderError) as failed:
        for piece in chunks:
            received.append(piece.text)
    assert "".join(received)  # some text came first
    assert failed.value.kind in ("server", "malformed")


def test_a_refusal_is_refused(target):
    target.fake.script(refusal=True)
    with pytest.raises(ProviderError) as failed:
        read_all(target.adapter.stream(make_request("message.draft", model=target.model)))
    assert failed.value.kind == "refused"
