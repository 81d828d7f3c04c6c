"""translation.draft fallback: the source text returned as-is, flagged for a human translator.

A machine has not translated anything, so nothing pretends it has: `translated_text` is the
source and `needs_human_translation` is true, unless the source is already in the target
language. Glossary terms found in the source are listed so the translator applies them.
"""

from __future__ import annotations

from capabilities.fallbacks import FallbackContext
from capabilities.fallbacks.common import locale_family, text_direction, truncate

MAX_GLOSSARY_NOTES = 3


def _same_language(source: str, target: str) -> bool:
    source_family, target_family = locale_family(source), locale_family(target)
    if source_family is None or target_family is None:
        return source == target
    return source_family == target_family


def run(payload: dict, ctx: FallbackContext) -> dict:
    source, target = payload["source_locale"], payload["target_locale"]
    already_in_target = _same_language(source, target)
    notes = []
    if already_in_target:
        notes.append("The source is already in the target language; nothing to translate.")
    else:
        notes.append("No translation engine was available: the source text is returned for a human translator.")
        lowered = payload["source_text"].casefold()
        used_terms = [entry for entry in payload.get("glossary", ()) if entry["term"].casefold() in lowered]
        notes.extend(
            truncate(f"Glossary: translate '{entry['term']}' as '{entry['translation']}'.", 300)
            for entry in used_terms[:MAX_GLOSSARY_NOTES]
        )
    return {
        "translated_text": payload["source_text"],
        "source_locale": source,
        "target_locale": target,
        "needs_human_translation": not already_in_target,
        # The text is still in the source language, so it renders in the source's direction.
        "direction": text_direction(source),
        "notes": notes,
    }
