"""tutor.answer fallback: BM25-lite search over the tenant's FAQ entries.

The best entry answers verbatim, with its id in `sources`. An entry in the asker's language is
preferred over an equally good one in another. When nothing matches well enough the answer
says so honestly and sends the asker to a manager: a wrong procedure taught with confidence
does more harm than no answer.
"""

from __future__ import annotations

import math
from collections import Counter

from capabilities.fallbacks import FallbackContext, FaqEntry
from capabilities.fallbacks.common import (
    KNOWN_LOCALES,
    locale_family,
    localized,
    resolve_locale,
    tokenize,
    truncate,
)
from melmastoon_ai.locales import NO_ANSWER_IN_GUIDE

BM25_K1 = 1.2
BM25_B = 0.75
SAME_LANGUAGE_BOOST = 1.25
# Share of the question's information (idf-weighted terms) the best entry must cover.
MIN_COVERAGE = 0.35
QUESTION_WEIGHT = 2  # a match in the FAQ question says more than one in its answer

_STOPWORDS = frozenset(
    tokenize(
        "a an the is are was be to of in on for and or do does did i we you it my our your how what when where which "
        "who can should with at by from this that le la les un une des de du et ou est en pour que qui quoi comment "
        "je nous vous il dans sur في من على إلى الى عن ما ماذا كيف هل هو هي أن او أو و از به در با که را این آن "
        "چه چگونه آیا است و یا د په له ته چې څه څنګه کې دا"
    )
)

NO_ANSWER = NO_ANSWER_IN_GUIDE


def _terms(text: str) -> list[str]:
    return [token for token in tokenize(text) if token not in _STOPWORDS]


def _document(entry: FaqEntry) -> Counter:
    return Counter(_terms(entry.question) * QUESTION_WEIGHT + _terms(entry.answer))


def _idf(term: str, documents: list[Counter]) -> float:
    containing = sum(1 for document in documents if term in document)
    return math.log(1 + (len(documents) - containing + 0.5) / (containing + 0.5))


def _best_entry(query: list[str], entries: tuple[FaqEntry, ...], family: str | None) -> tuple[FaqEntry, float] | None:
    """The best-scoring entry and the idf-weighted share of the query it covers."""
    documents = [_document(entry) for entry in entries]
    average_length = sum(sum(document.values()) for document in documents) / len(documents) or 1.0
    idf = {term: _idf(term, documents) for term in set(query)}
    total_information = sum(idf.values())
    best: tuple[float, float, int] | None = None
    for index, (entry, document) in enumerate(zip(entries, documents, strict=True)):
        length = sum(document.values())
        score = 0.0
        for term in set(query):
            frequency = document[term]
            norm = BM25_K1 * (1 - BM25_B + BM25_B * length / average_length)
            score += idf[term] * frequency * (BM25_K1 + 1) / (frequency + norm)
        if family is not None and locale_family(entry.locale) == family:
            score *= SAME_LANGUAGE_BOOST
        coverage = sum(idf[term] for term in set(query) if document[term]) / total_information
        if score > 0 and (best is None or (score, coverage) > best[:2]):
            best = (score, coverage, index)
    if best is None:
        return None
    return entries[best[2]], best[1]


def run(payload: dict, ctx: FallbackContext) -> dict:
    locale, family = resolve_locale(payload["locale"], ctx.locale)
    query = _terms(payload["question"])
    found = _best_entry(query, ctx.faq_entries, locale_family(payload["locale"])) if query and ctx.faq_entries else None
    if found is None or found[1] < MIN_COVERAGE:
        return {"answer": localized(NO_ANSWER, family), "sources": [], "confidence": 0.0, "locale": locale}
    entry, coverage = found
    return {
        "answer": truncate(entry.answer.strip() or entry.question, 4000) or localized(NO_ANSWER, family),
        "sources": [entry.id[:128] or "faq"],
        "confidence": round(min(coverage, 1.0) * 0.9, 2),
        # The answer is the entry's own text: report its language, not the one asked for.
        "locale": entry.locale if entry.locale in KNOWN_LOCALES else locale,
        "matched_question": truncate(entry.question, 500),
    }
