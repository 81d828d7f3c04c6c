"""Walk a capability's fallback chain until a provider gives a valid, allowed answer (step 7).

The chain always ends in `deterministic`, which never fails, so `route` always answers, within
the request deadline (the capability's latency target plus a bounded margin) even when every
provider hangs. Every attempt is recorded with its outcome: ok, error, timeout, circuit_open,
not_configured, residency, schema_invalid, blocked, budget.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from melmastoon_ai.observability import timing
from routing.attempts import Attempt, Called, call_provider
from routing.breakers import CircuitBreakers, record_attempt
from routing.providers.base import ProviderError, ProviderRequest, ProviderResponse, RequestContext, StreamChunk
from routing.providers.registry import adapter_for
from routing.residency import eu_resident
from routing.selectors import ModelSpec, model_get

logger = logging.getLogger(__name__)
DETERMINISTIC = "deterministic"
MILLION = Decimal(1_000_000)
DETERMINISTIC_RESERVE_SECONDS = 0.25  # kept back from the deadline for the fallback to answer
MIN_ATTEMPT_SECONDS = 0.05
OutputValidator = Callable[[object], list[str]]  # returns the schema errors, empty when valid
OutputScreen = Callable[[dict, dict], str]  # (output, the provider's safety ratings) -> "allow" or "block"
# A model's schema-valid answer checked against its request (ids it cites, currency, bounds):
# the errors, empty when it holds. Not applied to the deterministic fallback (our own code).
AnswerCheck = Callable[[object], list[str]]


@dataclass
class RouteResult:
    output: dict
    provider: str
    model: str
    attempts: list[Attempt] = field(default_factory=list)
    model_version: str = ""  # what the provider said answered (its build, or an edge file's version+hash)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    provider_ms: float = 0.0
    decision_ms: float = 0.0
    repaired: bool = False
    schema_valid: bool = True
    output_safety: str = "allow"
    # a second stage's attempts (an explanation of the first answer, capabilities/stages.py), kept apart
    stage_attempts: list[Attempt] = field(default_factory=list)

    @property
    def degraded(self) -> bool:
        return self.provider == DETERMINISTIC

    @property
    def fallback_used(self) -> bool:
        return len(self.attempts) > 1


@dataclass(frozen=True)
class RoutePlan:
    capability_id: str
    chain: tuple[str, ...]
    allowed_providers: tuple[str, ...]
    eu_only: bool
    system_prompt: str | None
    user_prompt: str | None
    payload: dict
    output_schema: dict
    max_output_tokens: int
    temperature: float
    timeout_seconds: float  # per attempt
    deadline_seconds: float  # the whole walk
    context: RequestContext
    skip_models: bool = False  # the budget is spent: straight to the deterministic answer
    seed: int | None = None  # the prompt version's sampling seed, for the providers that take one
    # what ran before the chain (media reads, pre-steps: routing/media.py, routing/auxiliary.py): their
    # attempts open the walk's, their time counts as provider time
    preliminary: tuple[Attempt, ...] = ()
    preliminary_seconds: float = 0.0
    preliminary_cost_usd: Decimal = Decimal(0)  # what the pre-steps were billed: the answer's cost includes it


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)


def parse_json_output(raw: object) -> object:
    """A provider's text as JSON: tolerate code fences and prose around one JSON object."""
    if not isinstance(raw, str):
        return raw
    text = _FENCE.sub("", raw.strip())
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        start, end = text.find("{"), text.rfind("}")
        if 0 <= start < end:
            return json.loads(text[start : end + 1])
        raise


def cost_of_units(model: ModelSpec, units: float) -> Decimal:
    """What a service priced per page, minute, character or image (per million of them) costs for
    `units` of them: Document AI's pages, Speech-to-Text's billed minutes, Cloud Translation's
    characters, Cloud Vision's image features."""
    cost = Decimal(str(units)) * model.input_price_per_million / MILLION
    return cost.quantize(Decimal("0.000001"))


def cost_of(model: ModelSpec, response: ProviderResponse) -> Decimal:
    if model.price_unit != "token":
        return cost_of_units(model, response.billed_units)
    cost = (
        Decimal(response.input_tokens) * model.input_price_per_million
        + Decimal(response.output_tokens) * model.output_price_per_million
    ) / MILLION
    return cost.quantize(Decimal("0.000001"))


def cost_of_tokens(model_name: str, input_tokens: int, output_tokens: int) -> Decimal:
    """What a call of this size would cost on `model_name` (0 for unknown or non-token pricing)."""
    model = model_get(name=model_name)
    if model is None:
        return Decimal(0)
    return cost_of(model, ProviderResponse(output=None, input_tokens=input_tokens, output_tokens=output_tokens))


def breaker_name(model: ModelSpec) -> str:
    """Self-hosted deployments fail independently; cloud providers fail as a whole."""
    return f"self_hosted:{model.name}" if model.provider == "self_hosted" else model.provider


def skip_reason(plan: RoutePlan, model: ModelSpec | None) -> str | None:
    """Why the router would pass `model` by for this plan, or None when it would try it."""
    return model_skip_reason(
        model,
        context=plan.context,
        allowed_providers=plan.allowed_providers,
        eu_only=plan.eu_only,
        skip_models=plan.skip_models,
    )


def model_skip_reason(
    model: ModelSpec | None,
    *,
    context: RequestContext,
    allowed_providers: tuple[str, ...] = (),
    eu_only: bool = False,
    skip_models: bool = False,
) -> str | None:
    """The skip rules every chain walks by (a capability's, the embedding chain): `not_configured`
    (unknown, disabled, switched off for the tenant, no adapter or no credentials), `budget`
    (`skip_models`: the budget is spent), `residency` (outside the allowed providers, or an EU-only
    tenant and an endpoint that does not process in the EU). The deterministic fallback is never
    skipped once enabled."""
    if model is None or not model.enabled or not model.provider_enabled:
        return "not_configured"
    if model.provider == DETERMINISTIC:
        return None
    if model.provider in context.disabled_providers:
        return "not_configured"  # switched off by its feature flag: as if it had no credentials
    if skip_models:
        return "budget"
    if allowed_providers and model.provider not in allowed_providers:
        return "residency"
    adapter = adapter_for(model.provider)
    if eu_only and not eu_resident(provider=model.provider, adapter=adapter, context=context, fallback=model.regions):
        return "residency"
    if adapter is None or not adapter.is_configured(model.name):
        return "not_configured"
    return None


def repair_prompt(user_prompt: str | None, errors: list[str]) -> str:
    listed = "\n".join(f"- {error}" for error in errors[:10])
    return (
        f"{user_prompt or ''}\n\nYour previous answer did not match the required JSON Schema:\n{listed}\n"
        "Answer again with only a JSON object valid against the schema."
    )


class _Walk:
    """One walk of the chain: the attempts so far, the deadline, the time spent in providers."""

    def __init__(
        self,
        plan: RoutePlan,
        validate: OutputValidator,
        screen: OutputScreen,
        breakers: CircuitBreakers | None,
        check: AnswerCheck | None = None,
    ):
        self.plan, self.validate, self.screen, self.breakers = plan, validate, screen, breakers
        self.check = check
        self.started = time.perf_counter()
        self.deadline = self.started + plan.deadline_seconds
        self.attempts: list[Attempt] = list(plan.preliminary)
        self.provider_seconds = plan.preliminary_seconds

    def request(self, model: ModelSpec, user_prompt: str | None, timeout: float) -> ProviderRequest:
        return ProviderRequest(
            capability_id=self.plan.capability_id,
            model=model.name,
            system_prompt=self.plan.system_prompt,
            user_prompt=user_prompt,
            payload=self.plan.payload,
            output_schema=self.plan.output_schema,
            max_output_tokens=self.plan.max_output_tokens,
            temperature=self.plan.temperature,
            timeout_seconds=timeout,
            context=self.plan.context,
            seed=self.plan.seed,
        )

    def call(self, model: ModelSpec, user_prompt: str | None, timeout: float) -> Called[ProviderResponse]:
        """One attempt through `call_provider`: the circuit, breaker accounting, attempt record,
        span and provider time. The deterministic fallback has no circuit, and its time is the
        gateway's own (it runs in-process)."""
        request = self.request(model, user_prompt, timeout)
        adapter = adapter_for(model.provider)
        cloud = model.provider != DETERMINISTIC
        called = call_provider(
            lambda: adapter.complete(request),
            provider=model.provider,
            model=model.name,
            breakers=self.breakers,
            breaker=breaker_name(model) if cloud else None,
            provider_time=cloud,
        )
        self._spent(model, called.seconds)
        return called

    def _spent(self, model: ModelSpec, seconds: float) -> None:
        if model.provider != DETERMINISTIC:
            self.provider_seconds += seconds

    def judge(self, response: ProviderResponse, model: ModelSpec) -> tuple[object, list[str]]:
        try:
            output = parse_json_output(response.output)
        except (json.JSONDecodeError, TypeError):
            return None, ["the answer is not JSON"]
        errors = self.validate(output)
        if not errors and self.check is not None and model.provider != DETERMINISTIC:
            errors = self.check(output)
        return output, errors

    def remaining(self) -> float:
        return self.deadline - time.perf_counter() - DETERMINISTIC_RESERVE_SECONDS

    def try_model(self, model: ModelSpec) -> RouteResult | None:
        timeout = min(self.plan.timeout_seconds, self.remaining())
        if model.provider != DETERMINISTIC and timeout < MIN_ATTEMPT_SECONDS:
            self.attempts.append(Attempt(model.provider, model.name, "timeout", 0, "request deadline reached"))
            return None
        called = self.call(model, self.plan.user_prompt, timeout)
        attempt = called.attempt
        self.attempts.append(attempt)
        if called.value is None:
            return None
        response = called.value
        output, errors = self.judge(response, model)
        repaired = False
        if errors and model.provider != DETERMINISTIC and self.remaining() >= MIN_ATTEMPT_SECONDS:
            response, output, errors = self._repair(model, errors, response, output)
            repaired = not errors
        if errors:
            attempt.outcome, attempt.detail = "schema_invalid", errors[0][:200]
            if model.provider == DETERMINISTIC:
                logger.error(
                    "deterministic fallback produced invalid output", extra={"capability": self.plan.capability_id}
                )
            return None
        if self.screen(output, response.safety) == "block":
            attempt.outcome = "blocked"
            return None
        return RouteResult(
            output=output,
            provider=model.provider,
            model=model.name,
            attempts=self.attempts,
            model_version=response.model_version,
            input_tokens=response.input_tokens,
            output_tokens=response.output_tokens,
            cost_usd=cost_of(model, response) + self.plan.preliminary_cost_usd,
            provider_ms=self.provider_seconds * 1000,
            repaired=repaired,
        )

    def _repair(self, model: ModelSpec, errors: list[str], response: ProviderResponse, output: object):
        """One repair attempt: the same model, told what was wrong (its failure is the first
        attempt's outcome; it counts for the breaker like any call)."""
        called = self.call(
            model, repair_prompt(self.plan.user_prompt, errors), min(self.plan.timeout_seconds, self.remaining())
        )
        if called.value is None:
            return response, output, errors
        repaired = called.value
        repaired.input_tokens += response.input_tokens
        repaired.output_tokens += response.output_tokens
        new_output, new_errors = self.judge(repaired, model)
        return repaired, new_output, new_errors


class _StreamedAnswer:
    """A provider's stream as it is read: the text so far, the usage and safety its chunks gave,
    and the time spent waiting on it (not the time the caller spent between two chunks)."""

    def __init__(self, chunks: Iterator[StreamChunk]):
        self.chunks, self.parts = chunks, []
        self.input_tokens = self.output_tokens = 0
        self.model_version, self.safety, self.waited = "", {}, 0.0

    def next(self) -> StreamChunk | None:
        started = time.perf_counter()
        try:
            chunk = next(self.chunks, None)
        finally:
            self.waited += time.perf_counter() - started
        if chunk is not None:
            self.parts.append(chunk.text)
            self.input_tokens = chunk.input_tokens if chunk.input_tokens is not None else self.input_tokens
            self.output_tokens = chunk.output_tokens if chunk.output_tokens is not None else self.output_tokens
            self.model_version = chunk.model_version or self.model_version
            self.safety = chunk.safety or self.safety
        return chunk

    def first_text(self) -> str | None:
        """Read until the first piece of text (None: the stream ended without any)."""
        while (chunk := self.next()) is not None:
            if chunk.text:
                return chunk.text
        return None

    def response(self) -> ProviderResponse:
        text = "".join(self.parts)
        try:
            output: object = json.loads(text)
        except json.JSONDecodeError:
            output = text
        return ProviderResponse(
            output=output,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            model_version=self.model_version,
            safety=self.safety,
        )

    def close(self) -> None:
        close = getattr(self.chunks, "close", None)
        if close is not None:
            close()


class StreamFailed(RuntimeError):
    """A streamed answer failed after its first text went out: it cannot be taken back, so the
    walk stops there (`reason`: interrupted, schema_invalid, blocked) instead of moving on."""

    def __init__(self, capability_id: str, attempts: list[Attempt], reason: str, detail: str = ""):
        super().__init__(f"the streamed answer of {capability_id} failed: {reason} {detail}".strip())
        self.attempts, self.reason, self.detail = attempts, reason, detail


def _stream_model(walk: _Walk, model: ModelSpec) -> Generator[str, None, RouteResult | None]:
    """One streamed attempt: its text pieces as they come, then its result. A failure before the
    first piece is an ordinary failed attempt (None: the walk moves on, the caller saw nothing);
    after it, StreamFailed. A streamed answer is not repaired: its text is already out."""
    timeout = min(walk.plan.timeout_seconds, walk.remaining())
    if timeout < MIN_ATTEMPT_SECONDS:
        walk.attempts.append(Attempt(model.provider, model.name, "timeout", 0, "request deadline reached"))
        return None
    request = walk.request(model, walk.plan.user_prompt, timeout)
    adapter = adapter_for(model.provider)
    opened = call_provider(
        lambda: _open_stream(adapter, request, model),
        provider=model.provider,
        model=model.name,
        breakers=walk.breakers,
        breaker=breaker_name(model),
    )
    walk._spent(model, opened.seconds)
    attempt = opened.attempt
    walk.attempts.append(attempt)
    if opened.value is None:
        return None
    answer, first = opened.value
    answer.waited = 0.0  # from here: the waits between pieces (the opening is counted above)
    try:
        yield first
        while (chunk := answer.next()) is not None:
            if chunk.text:
                yield chunk.text
    except ProviderError as exc:
        attempt.outcome, attempt.detail = "interrupted", exc.kind
        record_attempt(walk.breakers, breaker_name(model), exc.kind)
        raise StreamFailed(walk.plan.capability_id, walk.attempts, "interrupted", exc.kind) from exc
    finally:
        answer.close()
        attempt.latency_ms = round((opened.seconds + answer.waited) * 1000)
        walk._spent(model, answer.waited)
        timing.add_provider_time(answer.waited * 1000)
    response = answer.response()
    output, errors = walk.judge(response, model)
    if errors:
        attempt.outcome, attempt.detail = "schema_invalid", errors[0][:200]
        raise StreamFailed(walk.plan.capability_id, walk.attempts, "schema_invalid", errors[0][:200])
    if walk.screen(output, response.safety) == "block":
        attempt.outcome = "blocked"
        raise StreamFailed(walk.plan.capability_id, walk.attempts, "blocked")
    return RouteResult(
        output=output,
        provider=model.provider,
        model=model.name,
        attempts=walk.attempts,
        input_tokens=response.input_tokens,
        output_tokens=response.output_tokens,
        cost_usd=cost_of(model, response) + walk.plan.preliminary_cost_usd,
        provider_ms=walk.provider_seconds * 1000,
    )


def _open_stream(adapter, request: ProviderRequest, model: ModelSpec) -> tuple[_StreamedAnswer, str]:
    """Open the provider's stream and read up to its first piece of text: until then a failure
    is an ordinary failed attempt (the caller has seen nothing)."""
    answer = _StreamedAnswer(adapter.stream(request))
    try:
        first = answer.first_text()
        if first is None:
            raise ProviderError("malformed", f"{model.provider} streamed no content", retryable=True)
    except ProviderError:
        answer.close()
        raise
    return answer, first


def streams(model: ModelSpec) -> bool:
    return callable(getattr(adapter_for(model.provider), "stream", None))


class ChainExhausted(RuntimeError):
    """No model in the chain gave an answer, the deterministic fallback included. Only output
    moderation can do that to the fallback (`blocked`); anything else is a defect."""

    def __init__(self, capability_id: str, attempts: list[Attempt]):
        super().__init__(f"the chain of {capability_id} produced no answer: {[a.as_dict() for a in attempts]}")
        self.attempts = attempts

    @property
    def blocked(self) -> bool:
        return any(attempt.outcome == "blocked" for attempt in self.attempts)


def route(
    plan: RoutePlan,
    *,
    validate: OutputValidator,
    screen: OutputScreen,
    breakers: CircuitBreakers | None = None,
    check: AnswerCheck | None = None,
) -> RouteResult:
    """`check`: the capability's own checks of a model's answer against the request; a failing
    answer is repaired once, then the chain moves on, as for a schema violation."""
    walk = _Walk(plan, validate, screen, breakers, check)
    for model in _candidates(walk):
        result = walk.try_model(model)
        if result is not None:
            result.decision_ms = (time.perf_counter() - walk.started) * 1000 - result.provider_ms
            return result
    raise ChainExhausted(plan.capability_id, walk.attempts)


def route_stream(
    plan: RoutePlan,
    *,
    validate: OutputValidator,
    screen: OutputScreen,
    breakers: CircuitBreakers | None = None,
    check: AnswerCheck | None = None,
) -> Generator[str, None, RouteResult]:
    """`route`, streaming: yields the answer's raw text as a streaming provider sends it, then
    returns the result (a provider that cannot stream, the deterministic fallback among them,
    yields nothing and answers whole). Moving down the chain is silent until the first piece of
    text has been yielded; a failure after it raises StreamFailed. Each piece is judged only as
    part of the whole answer, at the end, as `route` judges it."""
    walk = _Walk(plan, validate, screen, breakers, check)
    for model in _candidates(walk):
        if streams(model):
            result = yield from _stream_model(walk, model)
        else:
            result = walk.try_model(model)
        if result is not None:
            result.decision_ms = (time.perf_counter() - walk.started) * 1000 - result.provider_ms
            return result
    raise ChainExhausted(plan.capability_id, walk.attempts)


def _candidates(walk: _Walk) -> Iterator[ModelSpec]:
    """The chain's models that may be tried, in order; the others are recorded as skipped."""
    for name in walk.plan.chain:
        model = model_get(name=name)
        skip = skip_reason(walk.plan, model)
        if skip is not None:
            walk.attempts.append(Attempt(model.provider if model else "unknown", name, skip))
            continue
        yield model
