"""The call phase's first step for capabilities that read media: the input's image or audio as
bytes (routing/media.py), then the capability's pre-step (`auxiliary_models`: Document AI for
ocr.id_scan, Speech-to-Text for stt.transcribe, routing/auxiliary.py), whose text becomes the
prompt's context. Runs with no transaction open, as the chain does.

A pre-step that gives nothing usable (every one failed or was skipped, no media, no text, or a
confidence under the capability's floor) leaves the chain to its deterministic fallback alone:
asking Gemini to read fields from "(none)" could only guess, and the fallbacks answer "manual
entry (image attached)" and the quick-tap buttons. Its attempts are recorded either way.
"""

from __future__ import annotations

from dataclasses import replace

from capabilities.fallbacks.stt_transcribe import CONTEXT_TAPS, RECOVERY_TAPS
from capabilities.hashing import canonical_json
from capabilities.selectors import CapabilitySpec
from melmastoon_ai.locales import localized, resolve_locale
from prompts.rendering import render
from prompts.selectors import PromptVersionSpec
from routing.auxiliary import run_auxiliary, unread_attempts
from routing.breakers import CircuitBreakers
from routing.media import carries_media, resolve_media, without_media
from routing.providers.base import AuxiliaryResult, MediaItem
from routing.router import DETERMINISTIC, RoutePlan

# Below this a pre-step's read is not worth a model's normalising: manual entry / quick taps instead.
MIN_CONFIDENCE = {"ocr.id_scan": 0.6, "stt.transcribe": 0.5}
MEDIA_KIND = {"ocr.id_scan": "image", "stt.transcribe": "audio"}
# The share of the request's deadline a pre-step may take; the model that normalises gets the rest.
PRE_STEP_SHARE = 0.6
# Words a hotel's voice notes use, in English whatever the locale (staff mix them in), beside the
# locale's own quick-tap labels and the caller's expected phrases: Speech-to-Text phrase hints.
HOTEL_VOCABULARY = (
    "housekeeping",
    "minibar",
    "room service",
    "check-in",
    "check-out",
    "do not disturb",
    "front desk",
    "towels",
    "linen",
    "maintenance",
    "late checkout",
    "early check-in",
)


def phrase_hints(payload: dict, locale: str) -> tuple[str, ...]:
    _, family = resolve_locale(payload.get("locale"), locale)
    contexts = (
        [CONTEXT_TAPS[payload["context"]]] if payload.get("context") in CONTEXT_TAPS else list(CONTEXT_TAPS.values())
    )
    labels = [localized(label, family) for taps in contexts for label in taps.values()]
    labels += [localized(label, family) for label in RECOVERY_TAPS.values()]
    return tuple(dict.fromkeys([*payload.get("expected_phrases", ()), *labels, *HOTEL_VOCABULARY]))


def context_text(capability_id: str, model: str, result: AuxiliaryResult) -> str:
    """What the prompt's `${context}` holds: the pre-step's reading, labelled as PRMP_OCR_001 and
    PRMP_STT_001 expect it (OCR text and MRZ; the speech hypothesis and its confidence)."""
    if capability_id == "stt.transcribe":
        language = result.fields.get("language_code", "")
        return (
            f"Speech-to-Text hypothesis ({model}, confidence {result.confidence:.2f}"
            + (f", language {language}" if language else "")
            + f"):\n{result.text}"
        )
    fields = "\n".join(f"- {name}: {value}" for name, value in result.fields.items())
    return (
        f"OCR of the document image ({model}, confidence {result.confidence:.2f}).\n"
        + (f"Fields the document parser read:\n{fields}\n" if fields else "")
        + f"OCR text (MRZ lines included):\n{result.text}"
    )


def prepared_plan(
    plan: RoutePlan, *, capability: CapabilitySpec, prompt: PromptVersionSpec | None, breakers: CircuitBreakers | None
) -> RoutePlan:
    """The plan with the input's media attached, and for a capability with pre-steps, the prompt
    rendered with what they read (or the chain cut to its fallback)."""
    if not carries_media(plan.payload):
        return plan
    media = resolve_media(
        plan.payload, timeout=plan.timeout_seconds, breakers=breakers, disabled=plan.context.disabled_providers
    )
    plan = replace(
        plan,
        context=replace(plan.context, media=media.items),
        preliminary=(*plan.preliminary, *media.attempts),
        preliminary_seconds=plan.preliminary_seconds + media.seconds,
        deadline_seconds=plan.deadline_seconds - media.seconds,
    )
    if not capability.auxiliary_models or capability.id not in MEDIA_KIND:
        return plan
    if plan.skip_models:  # the budget is spent: the router answers with the fallback and says why
        return plan
    item = plan.context.media_of(MEDIA_KIND[capability.id])
    if item is None:  # nothing could read the media: no model can do better than the fallback
        return replace(
            plan,
            chain=(DETERMINISTIC,),
            preliminary=(*plan.preliminary, *unread_attempts(capability.auxiliary_models, plan)),
        )
    return _with_pre_step(plan, capability, prompt, item, breakers)


def _with_pre_step(
    plan: RoutePlan,
    capability: CapabilitySpec,
    prompt: PromptVersionSpec | None,
    item: MediaItem,
    breakers: CircuitBreakers | None,
) -> RoutePlan:
    shown = without_media(plan.payload)
    hints = phrase_hints(plan.payload, plan.context.locale) if MEDIA_KIND[capability.id] == "audio" else ()
    outcome = run_auxiliary(
        models=capability.auxiliary_models,
        plan=plan,
        media=item,
        payload=shown,
        phrase_hints=hints,
        breakers=breakers,
        budget_seconds=max(0.0, plan.deadline_seconds * PRE_STEP_SHARE),
    )
    plan = replace(
        plan,
        preliminary=(*plan.preliminary, *outcome.attempts),
        preliminary_seconds=plan.preliminary_seconds + outcome.seconds,
        preliminary_cost_usd=plan.preliminary_cost_usd + outcome.cost_usd,
        deadline_seconds=plan.deadline_seconds - outcome.seconds,
    )
    result = outcome.result
    if (
        result is None
        or prompt is None
        or not result.text.strip()
        or result.confidence < MIN_CONFIDENCE.get(capability.id, 0.0)
    ):
        return replace(plan, chain=(DETERMINISTIC,))
    values = {
        "input_json": canonical_json(shown),
        "locale": plan.context.locale,
        "output_schema_json": canonical_json(capability.output_schema),
        "context": context_text(capability.id, outcome.model, result),
    }
    rendered = render(
        system_template=prompt.system_template,
        user_template=prompt.user_template,
        variables=list(prompt.variables),
        values={name: values[name] for name in prompt.variables},
    )
    return replace(plan, system_prompt=rendered.system, user_prompt=rendered.user)
