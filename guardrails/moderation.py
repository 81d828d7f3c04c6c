"""Content moderation: the `Moderator` port, the local moderators that always run offline, and
`combine` for merging several moderators' verdicts.

Categories are seed 001's: `harm_high` (threats of violence, self-harm intent), `hate`, `sexual`,
`dangerous` (weapons, explosives, hard drugs) and `pii_exposed` (personal data in an output).
Scores are in [0, 1]; a category is flagged when its score reaches the moderator's threshold for
it (constructor argument, so a tenant's thresholds can be passed in). Below that, a moderator may
have a review band: a score from its review threshold up to the flagging one marks the category
`review` (flagged stays false): not sure enough to block a guest, too likely to let pass unseen.
The classifier has one per category, chosen in training (classifier_training.py); on the input of
a completion a `harm_high` in review holds the answer for a human (a HITL gate) instead of refusing
the request. The lexicons have none: a listed phrase either flags or does not.

`LexiconModerator` scores weighted terms of per-locale lexicons (lexicons/*.json) as a noisy-or:
1 - prod(1 - weight). It matches every lexicon, not only the request's locale's (guests switch
between English and their language), in one pass over the words of the text. `PiiModerator` scores
`pii_exposed` with the redactor. Provider moderators (OpenAI, Gemini) map their scores onto ours
with `provider_scores` and are merged with `combine`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from guardrails.lexicon import TermIndex, lexicon_form_of, load_lexicon, without_allowed
from guardrails.normalize import for_matching
from guardrails.pii import find_spans

CATEGORIES = ("harm_high", "hate", "sexual", "dangerous", "pii_exposed")
DEFAULT_THRESHOLDS: dict[str, float] = dict.fromkeys(CATEGORIES, 0.5)
LEXICON_LOCALES = ("en", "fr", "de", "tr", "ar", "fa", "ps", "ur")


@dataclass(frozen=True)
class CategoryScore:
    score: float
    flagged: bool
    review: bool = False  # in the review band: under the flagging threshold, at or over the review one


@dataclass(frozen=True)
class ModerationVerdict:
    categories: dict[str, CategoryScore]
    verdict: str  # "allow" | "block"
    moderators: list[str]
    reasons: tuple[str, ...] = field(default=())  # which lexicon terms matched; never the user's text

    def flagged(self) -> list[str]:
        return [name for name, score in self.categories.items() if score.flagged]

    def in_review(self) -> list[str]:
        """The categories in a moderator's review band (none of them flagged)."""
        return [name for name, score in self.categories.items() if score.review]


class Moderator(Protocol):
    name: str

    def moderate(self, text: str, *, locale: str) -> ModerationVerdict: ...


class MatchingModerator(Moderator, Protocol):
    """A local moderator of text that also reads text already passed through `for_matching`."""

    def moderate_matching(self, matching: str, *, locale: str) -> ModerationVerdict: ...


def resolve_thresholds(overrides: Mapping[str, float] | None) -> dict[str, float]:
    thresholds = dict(DEFAULT_THRESHOLDS)
    for category, value in (overrides or {}).items():
        if category not in thresholds or not 0.0 < value <= 1.0:
            raise ValueError(f"threshold for {category!r} must be a known category and in (0, 1]")
        thresholds[category] = value
    return thresholds


def verdict_from_scores(
    scores: Mapping[str, float],
    *,
    thresholds: Mapping[str, float],
    moderator: str,
    reasons: Iterable[str] = (),
    review_thresholds: Mapping[str, float] | None = None,
) -> ModerationVerdict:
    """`review_thresholds`: where the review band of a category starts (a category without one, or
    whose review threshold is not under its flagging one, has no band)."""
    review_from = review_thresholds or {}
    categories = {
        name: CategoryScore(
            round(score, 4),
            flagged := score >= thresholds[name],
            not flagged and name in review_from and review_from[name] <= score,
        )
        for name, score in scores.items()
    }
    blocked = any(score.flagged for score in categories.values())
    return ModerationVerdict(
        categories=categories, verdict="block" if blocked else "allow", moderators=[moderator], reasons=tuple(reasons)
    )


@functools.cache
def _index(locales: tuple[str, ...]) -> TermIndex:
    return TermIndex(load_lexicon(locale) for locale in locales)


class LexiconModerator:
    name = "lexicon"
    categories = ("harm_high", "hate", "sexual", "dangerous")

    def __init__(
        self, *, thresholds: Mapping[str, float] | None = None, locales: Iterable[str] = LEXICON_LOCALES
    ) -> None:
        self.thresholds = resolve_thresholds(thresholds)
        self.index = _index(tuple(locales))

    def moderate(self, text: str, *, locale: str) -> ModerationVerdict:
        return self.moderate_matching(for_matching(text), locale=locale)

    def moderate_matching(self, matching: str, *, locale: str) -> ModerationVerdict:
        """`moderate` of a text already passed through `normalize.for_matching` (what
        `guardrails.local_verdict` computes once for the lexicons and the classifier)."""
        # Evidence is counted per phrase: the same phrase in two lexicons (Persian and Urdu share
        # "اسلحه") or twice in the text is one piece of evidence, at its higher weight.
        weights: dict[str, dict[str, float]] = {category: {} for category in self.categories}
        reasons = set()
        for match in without_allowed(self.index.find(lexicon_form_of(matching))):
            phrases = weights[match.term.category]
            phrases[match.term.phrase] = max(phrases.get(match.term.phrase, 0.0), match.term.weight)
            reasons.add(f"{match.term.category}:{match.term.locale}:{match.term.phrase}")
        scores = {}
        for category, matched in weights.items():
            remaining = 1.0
            for weight in matched.values():
                remaining *= 1.0 - weight
            scores[category] = 1.0 - remaining
        return verdict_from_scores(scores, thresholds=self.thresholds, moderator=self.name, reasons=sorted(reasons))


class PiiModerator:
    """`pii_exposed` for model outputs: any PII the redactor finds, except values the caller allows
    (what the guest gave in the input and the capability legitimately repeats)."""

    name = "pii"

    def __init__(
        self,
        *,
        thresholds: Mapping[str, float] | None = None,
        country: str | None = None,
        allowed_values: Iterable[str] = (),
    ) -> None:
        self.thresholds = resolve_thresholds(thresholds)
        self.country = country
        self.allowed = {value.strip() for value in allowed_values}

    def moderate(self, text: str, *, locale: str) -> ModerationVerdict:
        exposed = [
            span.type
            for span in find_spans(text, country=self.country)
            if text[span.start : span.end].strip() not in self.allowed
        ]
        reasons = [f"pii_exposed:{kind}" for kind in sorted(set(exposed))]
        return verdict_from_scores(
            {"pii_exposed": 1.0 if exposed else 0.0}, thresholds=self.thresholds, moderator=self.name, reasons=reasons
        )


def combine(verdicts: Iterable[ModerationVerdict]) -> ModerationVerdict:
    """One verdict from several moderators: the highest score per category, flagged if any
    moderator flagged it, in review if one put it there and none flagged it, blocked if any flag."""
    categories: dict[str, CategoryScore] = {}
    moderators: list[str] = []
    reasons: list[str] = []
    for verdict in verdicts:
        for name, score in verdict.categories.items():
            current = categories.get(name)
            if current is not None:
                flagged = current.flagged or score.flagged
                review = not flagged and (current.review or score.review)
                score = CategoryScore(max(current.score, score.score), flagged, review)
            categories[name] = score
        moderators.extend(name for name in verdict.moderators if name not in moderators)
        reasons.extend(verdict.reasons)
    blocked = any(score.flagged for score in categories.values())
    return ModerationVerdict(
        categories=categories, verdict="block" if blocked else "allow", moderators=moderators, reasons=tuple(reasons)
    )
