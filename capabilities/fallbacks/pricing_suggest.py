"""pricing.suggest fallback: a transparent rule on BAR, occupancy, lead time and events.

High occupancy and short lead time raise the price, low occupancy far ahead lowers it. The
total adjustment stays within [-15 %, +25 %] of BAR so that a degraded answer can never move a
rate further than a revenue manager would accept without a look; the hotel's own min/max price
then win over the band because they are explicit business rules.
"""

from __future__ import annotations

from capabilities.fallbacks import FallbackContext
from capabilities.fallbacks.common import format_money, parse_iso_date, round_money

BAND_FLOOR_PCT = -15.0
BAND_CEILING_PCT = 25.0

# (occupancy at or above, adjustment %), checked from the top.
_OCCUPANCY_STEPS = ((90.0, 15.0), (80.0, 10.0), (70.0, 5.0), (45.0, 0.0), (30.0, -5.0), (0.0, -10.0))
SHORT_LEAD_DAYS = 3
LONG_LEAD_DAYS = 45
EVENT_PREMIUM_PCT = 10.0  # Eid, Nowruz, conferences: city-wide demand, not just ours


def _lead_time_days(payload: dict, ctx: FallbackContext) -> int | None:
    if "lead_time_days" in payload:
        return payload["lead_time_days"]
    stay_date = parse_iso_date(payload["stay_date"])
    if stay_date is None or ctx.today is None:
        return None
    return max((stay_date - ctx.today).days, 0)


def _factors(payload: dict, lead_days: int | None) -> list[tuple[str, float, str]]:
    """(factor name, adjustment %, human explanation) for every rule that fired."""
    occupancy = payload["occupancy_pct"]
    factors = []
    occupancy_pct = next(adjustment for floor, adjustment in _OCCUPANCY_STEPS if occupancy >= floor)
    if occupancy_pct:
        direction = "high" if occupancy_pct > 0 else "low"
        factors.append(("occupancy", occupancy_pct, f"{direction} occupancy ({round(occupancy, 1):g}%)"))
    if lead_days is not None and lead_days <= SHORT_LEAD_DAYS and occupancy >= 70:
        factors.append(("lead_time", 5.0, f"short lead time ({lead_days} days) with strong demand"))
    if lead_days is not None and lead_days >= LONG_LEAD_DAYS and occupancy < 50:
        factors.append(("lead_time", -5.0, f"long lead time ({lead_days} days) with soft demand"))
    if payload.get("special_event"):
        factors.append(("special_event", EVENT_PREMIUM_PCT, "a local event or holiday raises demand"))
    return factors


def _apply_limits(price: float, payload: dict, bar: float, clamped_by: list[str]) -> float:
    """Clamp to the band, then to the hotel's max, then to its min (the floor wins a conflict)."""
    band_low = bar * (1 + BAND_FLOOR_PCT / 100)
    band_high = bar * (1 + BAND_CEILING_PCT / 100)
    if not band_low <= price <= band_high:
        price = min(max(price, band_low), band_high)
        clamped_by.append("band")
    if "max_price" in payload and price > payload["max_price"]:
        price = payload["max_price"]
        clamped_by.append("max_price")
    if "min_price" in payload and price < payload["min_price"]:
        price = payload["min_price"]
        clamped_by.append("min_price")
    return price


def run(payload: dict, ctx: FallbackContext) -> dict:
    bar = payload["bar"]["amount"]
    currency = payload["bar"]["currency"]
    lead_days = _lead_time_days(payload, ctx)
    factors = _factors(payload, lead_days)
    total_pct = sum(adjustment for _, adjustment, _ in factors)

    clamped_by: list[str] = []
    price = _apply_limits(bar * (1 + total_pct / 100), payload, bar, clamped_by)
    suggested = max(round_money(price, currency), 0.0)
    deviation_pct = round((suggested - bar) / bar * 100, 2)

    explanations = [explanation for _, _, explanation in factors] or ["no demand signal moves the rate"]
    rationale = f"Rule-based suggestion from BAR {format_money(bar, currency)}: " + "; ".join(explanations) + "."
    if clamped_by:
        rationale += " Limited by " + ", ".join(name.replace("_", " ") for name in clamped_by) + "."
    return {
        "suggested_price": {"amount": suggested, "currency": currency},
        "deviation_pct": deviation_pct,
        "rationale": rationale,
        "factors": [{"name": name, "adjustment_pct": adjustment} for name, adjustment, _ in factors],
        "clamped_by": clamped_by,
        "confidence": 0.4,
    }
