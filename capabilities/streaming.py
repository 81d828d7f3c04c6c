"""A capability's answer streamed: the same phases as `complete` (capabilities/pipeline.py), the
call phase read as the provider streams it.

`stream_open` runs the prepare phase before anything is sent, so that what refuses a request
(authentication, the input schema, the rate limit, input moderation, an idempotency conflict)
is an ordinary JSON error with its status. `CompletionStream.events()` then runs the call phase,
holding no transaction and no connection while the provider streams, and the persist phase in
its short transaction once the whole answer is in and judged:

- `delta` events: text of the capability's `stream_field` as it arrives, sentence by sentence
  after output moderation and with the caller's values put back (capabilities/stream_text.py),
  marked `draft` when the capability's answers may go to a human reviewer first;
- then exactly one of: `completed`, the body `/complete` would have returned (the whole
  schema-valid output, `hitl`, the provenance); or `error`, when the answer failed after its first
  text went out (the provider broke off, the whole answer failed its schema or moderation), or
  moderation blocked it. Nothing is recorded for a failed stream, the budget reservation and the
  idempotency claim are given back, and no stream ends cleanly on a truncated answer.

A provider that fails before its first text is skipped silently, as in `complete`; a cache hit,
an idempotent repeat and an answer from a provider that cannot stream (the deterministic
fallback) come as one `delta` with the whole text, then `completed`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

import guardrails
from capabilities import recording
from capabilities.errors import ContentBlocked
from capabilities.pipeline import (
    CompletionOutcome,
    CompletionRequest,
    Prepared,
    abandon,
    answer_checks,
    begin,
    cached_result,
    circuit_breakers,
    finish,
    load_capability,
    moderated_plan,
    normalized,
)
from capabilities.selectors import CapabilitySpec
from capabilities.stream_text import FieldText, SentenceBlocked, SentenceGate
from melmastoon_ai.errors import ApplicationError
from melmastoon_ai.tenancy.context import release_connection, tenant_context
from melmastoon_ai.tenancy.models import Tenant
from routing.router import ChainExhausted, RouteResult, StreamFailed, route_stream

logger = logging.getLogger(__name__)

STREAM_FAILURES = {
    "interrupted": ("stream_interrupted", "The provider broke off its answer; the text streamed so far is incomplete."),
    "schema_invalid": ("stream_output_invalid", "The streamed answer does not match the output schema."),
    "blocked": ("content_blocked", "The answer was withheld: content moderation blocked it."),
}


class StreamingUnsupported(ApplicationError):
    status = 400
    code = "streaming_unsupported"


@dataclass(frozen=True)
class StreamEvent:
    kind: str  # "delta", "completed" or "error"
    data: dict


def check_streamable(capability: CapabilitySpec) -> None:
    if not capability.streams:
        raise StreamingUnsupported(
            f"{capability.id} does not stream; ask without streaming.", details={"capability": capability.id}
        )


def stream_open(request: CompletionRequest, *, tenant: Tenant) -> CompletionStream:
    """The prepare phase of a streamed call (its errors raise here, before the response starts)."""
    started = time.perf_counter()
    capability = load_capability(request.capability)
    check_streamable(capability)
    opened = begin(request, tenant, None, started)
    return CompletionStream(
        request=request,
        tenant=tenant,
        capability=capability,
        started=started,
        prepared=opened if isinstance(opened, Prepared) else None,
        replay=opened if isinstance(opened, CompletionOutcome) else None,
    )


@dataclass
class CompletionStream:
    request: CompletionRequest
    tenant: Tenant
    capability: CapabilitySpec
    started: float
    prepared: Prepared | None = None
    replay: CompletionOutcome | None = None
    outcome: CompletionOutcome | None = None  # the completed answer, once persisted

    @property
    def draft(self) -> bool:
        """Whether this answer may be held for a human reviewer: the capability's HITL rule, or an
        input that moderation put in its review band (then a gate opens whatever the rule)."""
        held = self.prepared is not None and bool(self.prepared.screened.held_for_review)
        return held or self.capability.hitl.kind != "never"

    def events(self) -> Iterator[StreamEvent]:
        if self.replay is not None:
            self.outcome = self.replay
            yield from self._whole(self.replay.body["output"])
            yield StreamEvent("completed", self.replay.body)
            return
        prepared = self.prepared
        try:
            result = yield from self._call(prepared)
            self.outcome = finish(prepared, self.request, self.tenant, result, self.started, None)
        except ContentBlocked as blocked:
            abandon(prepared, self.tenant)
            yield self._error(blocked.code, blocked.message, blocked.details)
            return
        except StreamFailed as failed:
            abandon(prepared, self.tenant)
            code, message = STREAM_FAILURES[failed.reason]
            yield self._error(
                code, message, {"reason": failed.reason, "attempts": [a.as_dict() for a in failed.attempts]}
            )
            return
        except SentenceBlocked:
            abandon(prepared, self.tenant)
            self._record_output_block(prepared)
            yield self._error(
                "content_blocked", "The answer was withheld: content moderation blocked it.", {"stage": "output"}
            )
            return
        except GeneratorExit:  # the caller went away: nothing is recorded, nothing stays held
            abandon(prepared, self.tenant)
            raise
        except Exception:
            abandon(prepared, self.tenant)
            logger.exception("streamed completion failed", extra={"capability": self.capability.id})
            yield self._error("internal_error", "An internal error occurred.", {})
            return
        yield StreamEvent("completed", self.outcome.body)

    def _call(self, prepared: Prepared):
        """The call phase, yielding delta events; the result (None: moderation refused it)."""
        if prepared.cached is not None:
            result = cached_result(prepared)
            yield from self._whole(
                recording.with_restored_output({"output": result.output}, prepared.screened.mapping)["output"]
            )
            return result
        plan = moderated_plan(prepared, self.tenant)
        if plan is None:
            return None
        checks = answer_checks(plan, self.capability, prepared.screened, self.tenant)
        walk = route_stream(plan, breakers=circuit_breakers(), **checks)
        field, gate = FieldText(self.capability.stream_field), self._gate(prepared)
        streamed = False
        try:
            while True:
                piece = next(walk)
                streamed = True
                if text := gate.feed(field.feed(piece)):
                    yield self._delta(text)
        except StopIteration as done:
            result: RouteResult = done.value
        except ChainExhausted as exhausted:
            if not exhausted.blocked:
                raise
            prepared.blocked_stage = "output"
            return None
        finally:
            walk.close()
            release_connection()  # a registry read the caches did not hold may have taken one
        result = normalized(result, self.capability, plan)
        if streamed:
            if tail := gate.flush():
                yield self._delta(tail)
        else:  # a provider that cannot stream answered whole (the deterministic fallback)
            yield from self._whole(guardrails.restore_output(result.output, prepared.screened.mapping))
        return result

    def _gate(self, prepared: Prepared) -> SentenceGate:
        mapping, tenant = prepared.screened.mapping, self.tenant
        thresholds = tenant.moderation_thresholds or None

        def restore(text: str) -> str:
            return guardrails.restore_output({"text": text}, mapping)["text"]

        def screen(text: str) -> str:
            return guardrails.screen_output(
                {"text": text},
                locale=self.request.locale,
                country=tenant.country or None,
                allowed_values=mapping.values(),
                thresholds=thresholds,
            )

        return SentenceGate(restore=restore, screen=screen)

    def _whole(self, output: dict) -> Iterator[StreamEvent]:
        text = output.get(self.capability.stream_field) if isinstance(output, dict) else None
        if isinstance(text, str) and text:
            yield self._delta(text)

    def _delta(self, text: str) -> StreamEvent:
        return StreamEvent("delta", {"text": text, "field": self.capability.stream_field, "draft": self.draft})

    def _error(self, code: str, message: str, details: dict) -> StreamEvent:
        return StreamEvent(
            "error",
            {"error": {"code": code, "message": message, "request_id": self.request.request_id, "details": details}},
        )

    def _record_output_block(self, prepared: Prepared) -> None:
        with tenant_context(self.tenant.id):
            recording.moderation_block_create(
                tenant=self.tenant,
                request=self.request,
                capability=self.capability,
                screened=prepared.screened,
                stage="output",
            )
        release_connection()


__all__ = ["CompletionStream", "StreamEvent", "StreamingUnsupported", "stream_open"]
