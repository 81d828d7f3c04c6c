"""review.summarize fallback: rule-based theme extraction with keyword lexicons.

Each review is split into clauses; a clause mentioning a theme counts for that theme, and its
polarity comes from the theme word itself ("dirty", "quiet"), else from opinion words in the
clause (flipped by a negation just before them), else from the review's star rating. English
lexicons are the widest; Arabic, French and Persian cover the words guests use most.
"""

from __future__ import annotations

import re
from collections import Counter

from capabilities.fallbacks import FallbackContext
from capabilities.fallbacks.common import (
    Localized,
    join_list,
    localized,
    resolve_locale,
    tokenize,
)

# theme -> (words praising it, words criticising it, words merely naming it)
_THEME_LEXICON = {
    "cleanliness": (
        {"clean", "spotless", "tidy", "propre", "نظيف", "نظيفة", "تمیز", "پاکه"},
        {"dirty", "filthy", "stained", "smelly", "dust", "dusty", "sale", "متسخ", "وسخ", "کثیف"},
        {"cleanliness", "hygiene", "propreté", "نظافة", "نظافت"},
    ),
    "staff": (
        {"friendly", "helpful", "welcoming", "polite", "aimable", "accueillant", "ودود", "متعاون", "مهربان"},
        {"rude", "unfriendly", "unhelpful", "impoli", "désagréable"},
        {
            "staff",
            "reception",
            "receptionist",
            "service",
            "team",
            "manager",
            "personnel",
            "accueil",
            "équipe",
            "موظفين",
            "موظفون",
            "موظف",
            "استقبال",
            "کارکنان",
            "پرسنل",
            "پذیرش",
        },
    ),
    "location": (
        set(),
        set(),
        {
            "location",
            "located",
            "central",
            "area",
            "neighbourhood",
            "neighborhood",
            "emplacement",
            "situé",
            "quartier",
            "موقع",
            "موقعیت",
        },
    ),
    "breakfast": (set(), set(), {"breakfast", "déjeuner", "فطور", "إفطار", "صبحانه", "سهارنی"}),
    "wifi": (set(), set(), {"wifi", "internet", "connection", "واي", "انترنت", "اینترنت", "وایفای"}),
    "noise": (
        {"quiet", "peaceful", "calme", "هادي", "هادئ", "آرام"},
        {"noise", "noisy", "loud", "bruit", "bruyant", "bruyante", "ضجيج", "إزعاج", "مزعج", "سروصدا", "صدا"},
        set(),
    ),
    "value": (
        {"affordable", "worth", "bargain"},
        {"overpriced", "expensive", "cher", "chère", "غالي", "گران"},
        {"price", "value", "prix", "سعر", "قیمت"},
    ),
    "room": (
        {"spacious", "comfortable", "confortable", "spacieuse", "مريح", "راحت"},
        {"cramped", "tiny", "uncomfortable", "exiguë"},
        {"room", "rooms", "bed", "beds", "chambre", "lit", "غرفة", "غرف", "سرير", "اتاق", "تخت"},
    ),
    "power_water": (
        set(),
        {"outage", "outages", "blackout", "cuts"},
        {"power", "electricity", "generator", "water", "shower", "électricité", "كهرباء", "كهربا", "ماء", "برق", "آب"},
    ),
}


def _normalized(words: set[str]) -> set[str]:
    """Lexicon words in the form `tokenize` produces, so they can be written naturally."""
    return {token for word in words for token in tokenize(word)}


# token -> (theme, built-in polarity: +1, -1 or 0 when the word only names the theme)
_THEME_WORDS: dict[str, tuple[str, int]] = {
    word: (theme, polarity)
    for theme, lexicons in _THEME_LEXICON.items()
    for polarity, words in zip((1, -1, 0), lexicons, strict=True)
    for word in _normalized(words)
}
_POSITIVE = _normalized(
    {
        "good",
        "great",
        "excellent",
        "amazing",
        "nice",
        "perfect",
        "lovely",
        "wonderful",
        "fast",
        "best",
        "superb",
        "fantastic",
        "recommend",
        "bon",
        "bonne",
        "excellente",
        "parfait",
        "super",
        "génial",
        "rapide",
        "جيد",
        "ممتاز",
        "رائع",
        "جميل",
        "سريع",
        "خوب",
        "عالی",
        "ښه",
    }
)
# Persian "کند" (slow) is left out: it is also the everyday verb "does".
_NEGATIVE = _normalized(
    {
        "bad",
        "poor",
        "terrible",
        "awful",
        "horrible",
        "slow",
        "broken",
        "worst",
        "disappointing",
        "cold",
        "weak",
        "problem",
        "mauvais",
        "mauvaise",
        "décevant",
        "décevante",
        "lent",
        "lente",
        "nul",
        "سيء",
        "سيئ",
        "بطيء",
        "مشكلة",
        "بد",
        "ضعیف",
        "خراب",
    }
)
_NEGATORS = _normalized(
    {"not", "no", "never", "nothing", "pas", "jamais", "aucun", "ليس", "لا", "غير", "لم", "نه", "نبود"}
)
_WIFI = re.compile(r"\bwi-?fi\b", re.IGNORECASE)
_CLAUSE_BREAK_WORDS = ("but", "mais", "لكن", "اما", "هرچند")
_CLAUSE_SPLIT = re.compile(r"[.!?;\n،؛]|\b(?:" + "|".join(_CLAUSE_BREAK_WORDS) + r")\b", re.IGNORECASE)

THEME_NAMES: dict[str, Localized] = {
    "cleanliness": ("cleanliness", "النظافة", "نظافت", "پاکوالی", "propreté"),
    "staff": ("staff", "الموظفون", "کارکنان", "کارکوونکي", "personnel"),
    "location": ("location", "الموقع", "موقعیت", "ځای", "emplacement"),
    "breakfast": ("breakfast", "الفطور", "صبحانه", "سهارنی", "petit-déjeuner"),
    "wifi": ("Wi-Fi", "الواي فاي", "وای‌فای", "وای فای", "Wi-Fi"),
    "noise": ("noise", "الضوضاء", "سر و صدا", "غالمغال", "bruit"),
    "value": (
        "value for money",
        "القيمة مقابل السعر",
        "ارزش در برابر قیمت",
        "د بیې په پرتله ارزښت",
        "rapport qualité-prix",
    ),
    "room": ("rooms", "الغرف", "اتاق و تخت", "خونې", "chambres"),
    "power_water": ("electricity and water", "الكهرباء والماء", "برق و آب", "برېښنا او اوبه", "électricité et eau"),
}
_SUMMARY_PARTS: dict[str, Localized] = {
    "count": (
        "Reviews analysed: {n}.",
        "عدد المراجعات التي تم تحليلها: {n}.",
        "تعداد نظرهای بررسی‌شده: {n}.",
        "د کتل شویو نظرونو شمېر: {n}.",
        "Avis analysés : {n}.",
    ),
    "average": (
        "Average rating: {avg}/5.",
        "متوسط التقييم: {avg}/5.",
        "میانگین امتیاز: {avg}/5.",
        "منځنۍ درجه: {avg}/5.",
        "Note moyenne : {avg}/5.",
    ),
    "positives": (
        "Most praised: {themes}.",
        "أكثر ما نال الإعجاب: {themes}.",
        "بیشترین تعریف و تمجید: {themes}.",
        "تر ټولو ډېره ستاینه: {themes}.",
        "Points forts : {themes}.",
    ),
    "negatives": (
        "Most criticised: {themes}.",
        "أكثر ما تعرّض للانتقاد: {themes}.",
        "بیشترین انتقادها: {themes}.",
        "تر ټولو ډېرې نیوکې: {themes}.",
        "Points faibles : {themes}.",
    ),
    "none": (
        "No recurring theme was found.",
        "لم يُعثر على مواضيع متكررة.",
        "موضوع تکراری‌ای یافت نشد.",
        "هېڅ تکراري موضوع ونه موندل شوه.",
        "Aucun thème récurrent n'a été relevé.",
    ),
}


def _opinion(tokens: list[str], index: int) -> int:
    """+1/-1 for an opinion word at `index`, flipped by a negation in the two words before it."""
    token = tokens[index]
    polarity = 1 if token in _POSITIVE else -1 if token in _NEGATIVE else 0
    if polarity and any(word in _NEGATORS for word in tokens[max(index - 2, 0) : index]):
        polarity = -polarity
    return polarity


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)


def _clause_mentions(clause: str, rating: float | None) -> dict[str, int]:
    """Theme -> polarity (+1, -1 or 0) of one clause.

    Words that judge the theme themselves ("dirty", "quiet") decide first, then opinion words
    anywhere in the clause, then the review's stars.
    """
    clause = _WIFI.sub("wifi", clause.replace("\u2019", "'").replace("n't", " not"))
    tokens = tokenize(clause)
    opinion = _sign(sum(_opinion(tokens, index) for index in range(len(tokens))))
    rating_polarity = 0 if rating is None else _sign(rating - 3) if rating >= 4 or rating <= 2 else 0
    theme_votes: dict[str, int] = {}
    for index, token in enumerate(tokens):
        if token in _THEME_WORDS:
            theme, built_in = _THEME_WORDS[token]
            negated = any(word in _NEGATORS for word in tokens[max(index - 2, 0) : index])
            theme_votes[theme] = theme_votes.get(theme, 0) + (-built_in if negated else built_in)
    return {theme: _sign(votes) or opinion or rating_polarity for theme, votes in theme_votes.items()}


def _sentiment(positive: int, negative: int) -> str:
    if positive == negative == 0:
        return "neutral"
    if positive and negative and max(positive, negative) < 2 * min(positive, negative):
        return "mixed"
    return "positive" if positive > negative else "negative"


def _summary(review_count: int, average: float | None, positives: list[str], negatives: list[str], family: str) -> str:
    parts = [localized(_SUMMARY_PARTS["count"], family).format(n=review_count)]
    if average is not None:
        parts.append(localized(_SUMMARY_PARTS["average"], family).format(avg=f"{average:.1f}"))
    for key, themes in (("positives", positives), ("negatives", negatives)):
        if themes:
            names = join_list([localized(THEME_NAMES[theme], family) for theme in themes], family)
            parts.append(localized(_SUMMARY_PARTS[key], family).format(themes=names))
    if not positives and not negatives:
        parts.append(localized(_SUMMARY_PARTS["none"], family))
    return " ".join(parts)


def run(payload: dict, ctx: FallbackContext) -> dict:
    locale, family = resolve_locale(payload.get("locale"), ctx.locale)
    reviews = payload["reviews"]
    counts = {theme: Counter() for theme in THEME_NAMES}
    review_ids: dict[str, list[str]] = {theme: [] for theme in THEME_NAMES}
    for review in reviews:
        for clause in _CLAUSE_SPLIT.split(review["text"]):
            for theme, polarity in _clause_mentions(clause, review.get("rating")).items():
                counts[theme][polarity] += 1
                if review["review_id"] not in review_ids[theme] and len(review_ids[theme]) < 5:
                    review_ids[theme].append(review["review_id"])

    themes = [
        {
            "theme": theme,
            "mentions": sum(counter.values()),
            "positive": counter[1],
            "negative": counter[-1],
            "sentiment": _sentiment(counter[1], counter[-1]),
            "review_ids": review_ids[theme],
        }
        for theme, counter in counts.items()
        if counter
    ]
    themes.sort(key=lambda entry: -entry["mentions"])
    positives = [
        entry["theme"]
        for entry in sorted(themes, key=lambda entry: -entry["positive"])
        if entry["positive"] > entry["negative"]
    ][:3]
    negatives = [
        entry["theme"]
        for entry in sorted(themes, key=lambda entry: -entry["negative"])
        if entry["negative"] > entry["positive"]
    ][:3]
    ratings = [review["rating"] for review in reviews if "rating" in review]
    average = round(min(max(sum(ratings) / len(ratings), 1.0), 5.0), 2) if ratings else None
    return {
        "review_count": len(reviews),
        "average_rating": average,
        "themes": themes,
        "top_positives": positives,
        "top_negatives": negatives,
        "summary": _summary(len(reviews), average, positives, negatives, family),
        "locale": locale,
    }
