"""upsell.recommend fallback: static rules on stay length, party, segment, timing and season.

Every rule adds points to the offers it supports; the best-scored offers the guest does not
already have are proposed. When the hotel sends its priced catalog only its available offers
are proposed, with its prices; without one, prices are left to the hotel (null).
"""

from __future__ import annotations

from collections import defaultdict

from capabilities.fallbacks import FallbackContext
from capabilities.fallbacks.common import (
    Localized,
    localized,
    parse_iso_date,
    resolve_locale,
)

DEFAULT_MAX_OFFERS = 3

OFFER_TITLES: dict[str, Localized] = {
    "early_check_in": ("Early check-in", "تسجيل وصول مبكر", "پذیرش زودهنگام", "له وخت مخکې راتګ", "Arrivée anticipée"),
    "late_check_out": ("Late check-out", "تسجيل مغادرة متأخر", "تخلیه دیرهنگام اتاق", "ناوخته وتل", "Départ tardif"),
    "room_upgrade": ("Room upgrade", "ترقية الغرفة", "ارتقای اتاق", "ښې خونې ته لېږد", "Surclassement de chambre"),
    "breakfast": ("Breakfast", "وجبة الإفطار", "صبحانه", "سهارنی", "Petit-déjeuner"),
    "airport_transfer": (
        "Airport transfer",
        "النقل من المطار وإليه",
        "سرویس رفت‌وآمد فرودگاه",
        "د هوايي ډګر ترانسپورټ",
        "Transfert aéroport",
    ),
    "extra_bed": ("Extra bed", "سرير إضافي", "تخت اضافه", "اضافي کټ", "Lit d'appoint"),
    "dinner": ("Dinner", "العشاء", "شام", "د ماښام ډوډۍ", "Dîner"),
    "city_tour": (
        "Guided city tour",
        "جولة في المدينة مع مرشد",
        "گشت شهری با راهنما",
        "له لارښود سره د ښار سیل",
        "Visite guidée de la ville",
    ),
    "laundry": (
        "Laundry service",
        "خدمة غسيل الملابس",
        "خدمات لباسشویی",
        "د جامو مینځلو خدمت",
        "Service de blanchisserie",
    ),
    "parking": ("Parking", "موقف السيارات", "پارکینگ", "پارکینګ", "Parking"),
}

# High-season months by market: the Gulf's season is its mild winter, elsewhere the summer.
_GULF_COUNTRIES = frozenset({"AE", "SA", "QA", "KW", "BH", "OM"})
_HIGH_MONTHS = {"gulf": frozenset({11, 12, 1, 2, 3}), "default": frozenset({6, 7, 8})}
_SHOULDER_MONTHS = {"gulf": frozenset({4, 10}), "default": frozenset({4, 5, 9, 10})}
_ROOMS_WITH_SPACE = frozenset({"family", "suite", "apartment"})


def _season(payload: dict, ctx: FallbackContext) -> str | None:
    if "season" in payload:
        return payload["season"]
    check_in = parse_iso_date(payload["check_in"])
    if check_in is None:
        return None
    market = "gulf" if (ctx.tenant_country or "").upper() in _GULF_COUNTRIES else "default"
    if check_in.month in _HIGH_MONTHS[market]:
        return "high"
    return "shoulder" if check_in.month in _SHOULDER_MONTHS[market] else "low"


def _scores(payload: dict, season: str | None) -> dict[str, tuple[float, list[str]]]:
    """Points and reasons per offer code."""
    scores: dict[str, list] = defaultdict(lambda: [0.0, []])

    def support(code: str, points: float, reason: str) -> None:
        scores[code][0] += points
        scores[code][1].append(reason)

    nights, adults, children = payload["nights"], payload["adults"], payload.get("children", 0)
    segment = payload.get("segment")
    support("breakfast", 1, "most guests take breakfast when it is offered before arrival")
    if nights >= 4:
        support("laundry", 2, f"{nights}-night stay")
    if (children or adults > 2) and payload.get("room_type") not in _ROOMS_WITH_SPACE:
        support("extra_bed", 3, f"party of {adults + children} in a standard room")
    arrival, departure = payload.get("arrival_time"), payload.get("departure_time")
    if arrival and arrival < "12:00":  # zero-padded HH:MM compares correctly as text
        support("early_check_in", 3, f"arrival planned at {arrival}")
    if departure and departure >= "13:00":
        support("late_check_out", 3, f"departure planned at {departure}")
    if segment == "business":
        support("late_check_out", 1, "business guests value a later departure")
        support("breakfast", 1, "business guests often start early")
    if segment in {"leisure", "couple"}:
        support("dinner", 1, "leisure stay")
        support("room_upgrade", 1, "leisure guests respond to upgrades")
    if segment == "family":
        support("breakfast", 1, "family stay")
    if segment in {"pilgrimage", "medical", "group"}:
        support("airport_transfer", 2, f"{segment} guests usually need transport on arrival")
    if season in {"low", "shoulder"} and payload.get("room_type") != "suite":
        support("room_upgrade", 1.5, f"{season} season: better rooms are free to sell")
    if season == "high" and segment != "business" and nights >= 2:
        support("city_tour", 1, "high season for sightseeing")
    return {code: (points, reasons) for code, (points, reasons) in scores.items()}


def run(payload: dict, ctx: FallbackContext) -> dict:
    locale, family = resolve_locale(payload.get("locale"), ctx.locale)
    purchased = set(payload.get("already_purchased", ()))
    catalog = {item["code"]: item for item in payload.get("catalog", ()) if item.get("available", True)}
    has_catalog = "catalog" in payload

    ranked = sorted(
        _scores(payload, _season(payload, ctx)).items(),
        key=lambda entry: (-entry[1][0], list(OFFER_TITLES).index(entry[0])),
    )
    offers = []
    for code, (_, reasons) in ranked:
        if code in purchased or (has_catalog and code not in catalog):
            continue
        offers.append(
            {
                "code": code,
                "title": localized(OFFER_TITLES[code], family),
                "reason": "; ".join(reasons)[:300],
                "price": catalog[code]["price"] if code in catalog else None,
                "priority": len(offers) + 1,
            }
        )
        if len(offers) == payload.get("max_offers", DEFAULT_MAX_OFFERS):
            break
    return {"offers": offers, "locale": locale}
