"""translation.draft's input to Cloud Translation v3 `translateText` calls, one per chunk, and
their answers back to a TranslationDraft. Pure.

A text is cut into chunks at paragraph breaks, then at sentence ends, so that each call stays
well inside the capability's 3 s target; the breaks are kept and put back between the
translated chunks. Glossary terms are checked, not enforced (a v3 glossary is a resource made in
advance): a term whose translation is missing marks the draft for a human.
"""

from __future__ import annotations

import re

from routing.providers.base import ProviderError, ProviderResponse

PROVIDER = "translation"
CHUNK_CHARS = 1000  # about a second of Cloud Translation per chunk, measured against its published limits
RTL_LOCALES = frozenset({"ar", "fa", "fa-AF", "prs", "ps", "ur"})
LANGUAGE_CODES = {"prs": "fa-AF"}  # Dari's code in Cloud Translation
_PARAGRAPHS = re.compile(r"(\n+)")
_SENTENCES = re.compile(r"(?<=[.!?؟۔])(\s+)")


def language_code(locale: str) -> str:
    return LANGUAGE_CODES.get(locale, locale)


def _split_long(paragraph: str, limit: int) -> list[str]:
    """A paragraph over `limit` as sentence-sized pieces (a sentence over it, at its last space)."""
    pieces, current = [], ""
    for part in _SENTENCES.split(paragraph):
        if len(current) + len(part) <= limit:
            current += part
            continue
        if current:
            pieces.append(current)
        while len(part) > limit:
            cut = part.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            pieces.append(part[:cut])
            part = part[cut:]
        current = part
    if current:
        pieces.append(current)
    return pieces


def chunks(text: str, limit: int = CHUNK_CHARS) -> list[tuple[str, str]]:
    """(chunk, the separator that followed it) pairs; the chunks and separators give back `text`."""
    result: list[tuple[str, str]] = []
    parts = _PARAGRAPHS.split(text)
    for index in range(0, len(parts), 2):
        paragraph, separator = parts[index], parts[index + 1] if index + 1 < len(parts) else ""
        if not paragraph.strip():
            if result:
                result[-1] = (result[-1][0], result[-1][1] + paragraph + separator)
            continue
        pieces = _split_long(paragraph, limit)
        result.extend((piece, "") for piece in pieces[:-1])
        result.append((pieces[-1], separator))
    return result


def translate_request(*, parent: str, text: str, source_locale: str, target_locale: str) -> dict:
    return {
        "parent": parent,
        "contents": [text],
        "mime_type": "text/plain",
        "source_language_code": language_code(source_locale),
        "target_language_code": language_code(target_locale),
    }


def translated_text(data: dict) -> str:
    translations = data.get("translations") or []
    if len(translations) != 1 or not str(translations[0].get("translated_text") or "").strip():
        raise ProviderError(
            "malformed", f"{PROVIDER} answered {len(translations)} translations for 1 text", retryable=True
        )
    return str(translations[0]["translated_text"])


def draft(payload: dict, pieces: list[tuple[str, str]]) -> ProviderResponse:
    """The translated (text, separator) pieces as a TranslationDraft; glossary terms checked."""
    text = "".join(translated.strip() + separator for translated, separator in pieces).strip()
    target = payload["target_locale"]
    notes = ["Machine translation (Cloud Translation): review before publishing."]
    missing = [
        entry["translation"]
        for entry in payload.get("glossary") or []
        if entry["term"].casefold() in payload["source_text"].casefold()
        and entry["translation"].casefold() not in text.casefold()
    ]
    if missing:
        notes.append(f"Glossary terms not applied: {', '.join(missing)[:240]}.")
    return ProviderResponse(
        output={
            "translated_text": text[:5000],
            "source_locale": payload["source_locale"],
            "target_locale": target,
            "needs_human_translation": bool(missing),
            "direction": "rtl" if target in RTL_LOCALES else "ltr",
            "notes": notes,
        },
        input_tokens=0,
        output_tokens=0,
        model_version="cloud-translation-v3",
    )
