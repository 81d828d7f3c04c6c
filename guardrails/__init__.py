"""Pre- and post-call guardrails (step 3 and the moderation part of step 8): the seam the
pipeline calls.

- `screen_input`: moderates every string of the input (blocks on `harm_high` only, seed 001 §3.9)
  and redacts PII from it (emails, phones, cards, IBANs, government IDs, passports), so that only
  the redacted payload reaches a model, the cache key, the inference record or a log.
- `screen_output`: "block" when the output is flagged in any category, including `pii_exposed`
  for personal data the caller did not allow (`allowed_values`, e.g. the input's own values).
- `moderate_output`: every category's score for any text (`/moderate`), classifier included.
- `restore_output`: puts the request's original values back where the output repeats a placeholder.

Everything runs locally and offline: regular expressions, libphonenumber metadata, python-stdnum
checksums, the lexicons in `lexicons/` and the n-gram classifier in `models/` (trained from
`corpus/train/` by `classifier_training`). Provider moderation (OpenAI, Gemini) maps onto the same
categories through `provider_scores` and merges with `moderation.combine`; a provider is only ever
given the redacted input.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from guardrails import normalize
from guardrails.classifier import MIN_WORDS, MODEL_PATH, ClassifierModerator, shipped_model
from guardrails.moderation import (
    CategoryScore,
    LexiconModerator,
    MatchingModerator,
    ModerationVerdict,
    PiiModerator,
    combine,
)
from guardrails.payloads import map_strings, strings_of
from guardrails.pii import redact_payload, restore

INPUT_BLOCKING_CATEGORIES = frozenset({"harm_high"})
CHECKED_BY_INPUT = ("pii_redaction", "moderation:lexicon", "moderation:classifier")


@dataclass(frozen=True)
class ScreenedInput:
    payload: dict  # what may be sent to a model and stored: redacted
    verdict: str = "allow"
    pii_redactions: int = 0
    checked_by: tuple[str, ...] = field(default_factory=tuple)
    categories: dict[str, CategoryScore] = field(default_factory=dict)
    # placeholder -> original value, for restore_output; kept in memory only, never stored or logged
    mapping: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def blocked_categories(self) -> list[str]:
        return [name for name in INPUT_BLOCKING_CATEGORIES if name in self.categories and self.categories[name].flagged]

    @property
    def in_review(self) -> list[str]:
        """The categories in a moderator's review band (moderation.py), none of them flagged."""
        return sorted(name for name, score in self.categories.items() if score.review)

    @property
    def held_for_review(self) -> list[str]:
        """The blocking categories in the review band of an input that is not blocked: its answer
        waits for a human (the pipeline opens a HITL gate) instead of the request being refused."""
        if self.verdict == "block":
            return []
        return [name for name in self.in_review if name in INPUT_BLOCKING_CATEGORIES]


def text_moderators(thresholds: Mapping[str, float] | None = None, *, review: bool = True) -> list[MatchingModerator]:
    """The local moderators of text, in this process and offline: the lexicons (precise on the
    phrasings they list) and the n-gram classifier (for wording no lexicon lists)."""
    return [LexiconModerator(thresholds=thresholds), ClassifierModerator(thresholds=thresholds, review=review)]


def _joined(value: object) -> str:
    return "\n".join(strings_of(value))


def local_verdict(
    strings: Sequence[str],
    *,
    locale: str,
    thresholds: Mapping[str, float] | None = None,
    classify: bool = True,
    review: bool = True,
) -> ModerationVerdict:
    """The verdict of `text_moderators` on the strings of a payload. The lexicons read them all; the
    classifier reads the strings of at least `MIN_WORDS` whitespace-separated words, the payload's
    prose. A payload's short values (enums, ids, codes, names: "void", "u-17", "AFG") joined together
    are word soup the classifier was never trained on and would score at random; the lexicons
    still see them."""
    text = "\n".join(strings)
    prose = "\n".join(string for string in strings if len(string.split()) >= MIN_WORDS)
    # Both moderators read `for_matching` text: normalised once (twice only when the payload has
    # short values the classifier skips).
    matching = normalize.for_matching(text)
    prose_matching = matching if prose == text or not classify else normalize.for_matching(prose)
    return combine(
        [
            moderator.moderate_matching(
                prose_matching if isinstance(moderator, ClassifierModerator) else matching, locale=locale
            )
            for moderator in text_moderators(thresholds, review=review)
            if classify or not isinstance(moderator, ClassifierModerator)
        ]
    )


def screen_input(
    payload: dict,
    *,
    locale: str,
    country: str | None = None,
    thresholds: Mapping[str, float] | None = None,
    extra_moderators: Iterable = (),
    review: bool = True,
) -> ScreenedInput:
    """Redact and moderate a capability's input. `country` is the tenant's (local phone numbers and
    national IDs); `thresholds` are the tenant's per-category moderation thresholds, if any;
    `extra_moderators` (provider moderation, an outbound call) are given the redacted text only and
    are combined with the local verdict when they answer. The local moderators run in this process
    and read the text as written; `review` false leaves the classifier without its review band (the
    tenant's `moderation_review`)."""
    redacted, redaction = redact_payload(payload, country=country)
    verdict = local_verdict(strings_of(payload), locale=locale, thresholds=thresholds, review=review)
    blocked = any(verdict.categories[name].flagged for name in INPUT_BLOCKING_CATEGORIES)
    screened = ScreenedInput(
        payload=redacted,
        verdict="block" if blocked else "allow",
        pii_redactions=redaction.total,
        checked_by=("pii_redaction", *(f"moderation:{name}" for name in verdict.moderators)),
        categories=verdict.categories,
        mapping=redaction.mapping,
    )
    return moderate_input_with(screened, extra_moderators, locale=locale) if extra_moderators else screened


def moderate_input_with(screened: ScreenedInput, moderators: Iterable, *, locale: str) -> ScreenedInput:
    """`screened` with the verdicts of more moderators (provider moderation) combined in. They see
    the redacted input only, never the caller's raw values; a moderator that does not answer
    (None) leaves the local verdict standing."""
    text = _joined(screened.payload)
    verdicts = [v for v in (moderator.moderate(text, locale=locale) for moderator in moderators) if v]
    if not verdicts:
        return screened
    local = ModerationVerdict(
        categories=screened.categories,
        verdict=screened.verdict,
        moderators=[name.removeprefix("moderation:") for name in screened.checked_by if name.startswith("moderation:")],
    )
    verdict = combine([local, *verdicts])
    blocked = any(verdict.categories[name].flagged for name in INPUT_BLOCKING_CATEGORIES if name in verdict.categories)
    return replace(
        screened,
        verdict="block" if blocked else "allow",
        categories=verdict.categories,
        checked_by=("pii_redaction", *(f"moderation:{name}" for name in verdict.moderators)),
    )


def moderate_output(
    output: object,
    *,
    locale: str,
    allowed_values: Iterable[str] = (),
    country: str | None = None,
    thresholds: Mapping[str, float] | None = None,
    extra_verdicts: Iterable[ModerationVerdict | None] = (),
    classify: bool = True,
) -> ModerationVerdict:
    """Every category for an output (or any text wrapped in a dict, as /moderate sends): lexicons,
    the classifier unless `classify` is false, and PII exposure, combined with verdicts providers
    already gave (Gemini safety ratings, OpenAI moderation)."""
    strings = strings_of(output)
    text = "\n".join(strings)
    return combine(
        [
            local_verdict(strings, locale=locale, thresholds=thresholds, classify=classify),
            PiiModerator(thresholds=thresholds, country=country, allowed_values=allowed_values).moderate(
                text, locale=locale
            ),
            *(verdict for verdict in extra_verdicts if verdict is not None),
        ]
    )


def screen_output(
    output: dict,
    *,
    locale: str,
    allowed_values: Iterable[str] = (),
    country: str | None = None,
    thresholds: Mapping[str, float] | None = None,
    extra_verdicts: Iterable[ModerationVerdict | None] = (),
) -> str:
    """ "block" if any category is flagged in a model's output, else "allow": lexicons, PII exposure
    and the provider's own verdicts, without the classifier. An output is withheld on any flag, and
    the deterministic fallback too (ending in 422): the classifier, trained on guests' messages, is
    not precise enough on generated hotel text (field labels, short template lines, FAQ phrasings)
    to be allowed to withhold answers; guests' inputs are what it screens."""
    return moderate_output(
        output,
        locale=locale,
        allowed_values=allowed_values,
        country=country,
        thresholds=thresholds,
        extra_verdicts=extra_verdicts,
        classify=False,
    ).verdict


def warm_up() -> None:
    """Compile the lexicons, load the phone metadata and build the normaliser's tables now (about
    0.3 s) rather than in the first request: call it once per process at start-up (AppConfig.ready,
    gunicorn post_fork)."""
    normalize.warm_up()
    shipped_model()
    screen_input({"text": "warm up +93 70 123 4567"}, locale="en", country="AF")
    moderate_output({"text": "warm up"}, locale="en")


def restore_output(output: dict, mapping: Mapping[str, str]) -> dict:
    """The output with this request's placeholders (`<PHONE_1>`) replaced by the original values."""
    if not mapping:
        return output
    return map_strings(output, lambda text: restore(text, dict(mapping)))


@functools.cache
def versions() -> dict[str, str]:
    """What the guardrails that judged a request were, for its decision trail: the classifier file
    and the lexicons by content hash (they are the data the verdicts depend on), and the redaction
    and moderation code by the hash of their modules."""
    here = Path(__file__).parent

    def digest(paths) -> str:
        hashed = hashlib.sha256()
        for path in sorted(paths):
            hashed.update(path.name.encode() + b"\0" + path.read_bytes())
        return hashed.hexdigest()[:16]

    return {
        "classifier": f"{MODEL_PATH.stem}+{digest([MODEL_PATH])}",
        "lexicons": digest((here / "lexicons").glob("*.json")),
        "code": digest(here.glob("*.py")),
    }


__all__ = [
    "CHECKED_BY_INPUT",
    "CategoryScore",
    "ModerationVerdict",
    "ScreenedInput",
    "moderate_input_with",
    "moderate_output",
    "restore_output",
    "screen_input",
    "screen_output",
    "text_moderators",
    "versions",
    "warm_up",
]
