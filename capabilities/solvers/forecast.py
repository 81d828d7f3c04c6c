"""pricing.demand_forecast's tabular baseline: a weekly seasonal naive forecast with a linear trend.

Fitted on the last `WINDOW_DAYS` nights of history: a least-squares line through rooms sold per
night, plus each weekday's mean residual from it (the weekly season). A night is the line at its
date plus its weekday's offset, within 0..room_count. It needs `MIN_NIGHTS` nights covering every
weekday; with less the chain moves on (the LLM, then the last-year naive fallback).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

MIN_NIGHTS = 28
WINDOW_DAYS = 84  # twelve weeks: recent enough for the trend, long enough for each weekday's offset


class TooLittleHistory(ValueError):
    pass


def forecast(payload: dict) -> dict:
    room_count = payload["room_count"]
    by_date = {}
    for night in payload["history"]:
        by_date[dt.date.fromisoformat(night["date"])] = min(night["rooms_sold"], room_count)
    start = dt.date.fromisoformat(payload["start_date"])
    recent = sorted(day for day in by_date if day < start)[-WINDOW_DAYS:]
    if len(recent) < MIN_NIGHTS or len({day.weekday() for day in recent}) < 7:
        raise TooLittleHistory(
            f"{len(recent)} nights before the start date; the model needs {MIN_NIGHTS} covering every weekday"
        )
    origin = recent[0]
    x = np.array([(day - origin).days for day in recent], dtype=float)
    y = np.array([by_date[day] for day in recent], dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    residuals = y - (slope * x + intercept)
    weekdays = np.array([day.weekday() for day in recent])
    season = {weekday: float(residuals[weekdays == weekday].mean()) for weekday in range(7)}
    days = []
    for offset in range(payload["horizon_days"]):
        day = start + dt.timedelta(days=offset)
        expected = slope * (day - origin).days + intercept + season[day.weekday()]
        rooms = round(min(max(expected, 0.0), float(room_count)), 1)
        days.append(
            {
                "date": day.isoformat(),
                "expected_rooms_sold": rooms,
                "expected_occupancy_pct": round(rooms / room_count * 100, 2),
                "method": "seasonal_trend",
            }
        )
    trend = round(slope * 7, 2)
    notes = [f"Weekly seasonal model with a trend of {trend:+g} rooms a week, fitted on {len(recent)} nights."]
    return {"start_date": start.isoformat(), "horizon_days": payload["horizon_days"], "days": days, "notes": notes}
