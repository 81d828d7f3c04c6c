"""The locales the gateway answers in: which are known, which written language serves each, the
text direction, and tables of texts per written language (`Localized`). Pure; shared by the
deterministic fallbacks, the edge provider and the reviewer pages."""

from __future__ import annotations

# The languages we write ourselves, in the column order of every `Localized` table.
WRITTEN_LOCALES: tuple[str, ...] = ("en", "ar", "fa", "ps", "fr")
Localized = tuple[str, str, str, str, str]

# Every locale the capability schemas accept (their `locale` enum).
KNOWN_LOCALES: tuple[str, ...] = ("en", "ar", "fa", "fa-AF", "prs", "ps", "fr", "de", "tr", "ur")
# Dari is served by the Persian texts: the written register is shared and mutually understood.
_LOCALE_FAMILY = {"en": "en", "ar": "ar", "fa": "fa", "fa-AF": "fa", "prs": "fa", "ps": "ps", "fr": "fr"}
_RTL_LANGUAGES = frozenset({"ar", "fa", "prs", "ps", "ur", "he"})


def locale_family(locale: str | None) -> str | None:
    """The written language serving `locale`, or None when we have no texts for it."""
    if not locale:
        return None
    return _LOCALE_FAMILY.get(locale) or _LOCALE_FAMILY.get(locale.split("-")[0])


def resolve_locale(requested: str | None, default: str = "en") -> tuple[str, str]:
    """(locale to report, language family to write in); unknown locales fall back to English.

    The reported locale is always one of KNOWN_LOCALES: a regional tag we do not list
    (`ar-AE`, `en-GB`, possibly from the gateway context) is reported as its language.
    """
    for candidate in (requested, default):
        family = locale_family(candidate)
        if family is not None:
            return (candidate if candidate in KNOWN_LOCALES else family), family
    return "en", "en"


def text_direction(locale: str) -> str:
    return "rtl" if locale.split("-")[0] in _RTL_LANGUAGES else "ltr"


def localized(row: Localized, family: str) -> str:
    return row[WRITTEN_LOCALES.index(family)]


# The tutor's answer when the hotel's guide has nothing on the question (the fallback and the edge
# model's FAQ search give the same one).
NO_ANSWER_IN_GUIDE: Localized = (
    "I could not find an answer to this question in the hotel's guide. Please ask your manager.",
    "لم أجد إجابة عن هذا السؤال في دليل الفندق. يُرجى سؤال مديرك.",
    "پاسخ این پرسش را در راهنمای هتل پیدا نکردم. لطفاً از مدیر خود بپرسید.",
    "د دې پوښتنې ځواب مې د هوټل په لارښود کې ونه موند. مهرباني وکړئ له خپل مدیر څخه یې وپوښتئ.",
    "Je n'ai pas trouvé de réponse à cette question dans le guide de l'hôtel. Merci de demander à votre responsable.",
)
