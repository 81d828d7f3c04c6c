"""pricing.demand_forecast fallback: the last-year naive forecast.

For each night: the same date last year when the history has it; else the nearest night in the
history on the same weekday; else the mean of the history; else zero demand, said so per day.
"""

from __future__ import annotations

import datetime

from capabilities.fallbacks import FallbackContext
from capabilities.fallbacks.common import parse_iso_date, shift_date


def _history_by_date(history: list[dict], room_count: int) -> dict[datetime.date, int]:
    """Rooms sold per night, capped at the inventory; a repeated date keeps its last value."""
    by_date = {}
    for night in history:
        day = parse_iso_date(night["date"])
        if day is not None:
            by_date[day] = min(night["rooms_sold"], room_count)
    return by_date


def _same_date_last_year(day: datetime.date) -> datetime.date | None:
    if day.year == datetime.MINYEAR:
        return None
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February: last year's nearest night is the 28th
        return day.replace(year=day.year - 1, day=28)


def _nearest_same_weekday(day: datetime.date, by_date: dict[datetime.date, int]) -> datetime.date | None:
    candidates = [known for known in by_date if known.weekday() == day.weekday()]
    if not candidates:
        return None
    return min(candidates, key=lambda known: (abs((known - day).days), known))


def _forecast_night(day: datetime.date, by_date: dict[datetime.date, int], mean: float | None) -> tuple[float, str]:
    last_year = _same_date_last_year(day)
    if last_year is not None and last_year in by_date:
        return float(by_date[last_year]), "same_date_last_year"
    same_weekday = _nearest_same_weekday(day, by_date)
    if same_weekday is not None:
        return float(by_date[same_weekday]), "same_weekday_nearest"
    if mean is not None:
        return mean, "history_mean"
    return 0.0, "no_history"


def run(payload: dict, ctx: FallbackContext) -> dict:
    room_count = payload["room_count"]
    horizon = payload["horizon_days"]
    by_date = _history_by_date(payload["history"], room_count)
    mean = round(sum(by_date.values()) / len(by_date), 2) if by_date else None
    notes = [] if by_date else ["No usable history: demand is unknown, not zero; enter past nights."]

    start = parse_iso_date(payload["start_date"])
    if start is None:
        return {"horizon_days": horizon, "days": [], "notes": ["start_date is not a calendar date."]}

    days = []
    for offset in range(horizon):
        day = shift_date(start, offset)
        if day is None:
            notes.append("The horizon reaches past the last representable date and was cut.")
            break
        rooms, method = _forecast_night(day, by_date, mean)
        days.append(
            {
                "date": day.isoformat(),
                "expected_rooms_sold": rooms,
                "expected_occupancy_pct": round(rooms / room_count * 100, 2),
                "method": method,
            }
        )
    return {"start_date": start.isoformat(), "horizon_days": horizon, "days": days, "notes": notes}
