"""staff.shift_optimize fallback: a rule-based scheduler.

Shifts are filled in time order. A person qualifies for a shift when they hold its role, are
available that day, are under their weekly shift limit, and keep the minimum rest (and no
overlap) against every shift they already have. Among qualified people the least-loaded goes
first, so hours spread fairly. Whatever cannot be staffed is reported, never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from capabilities.fallbacks import FallbackContext
from capabilities.fallbacks.common import parse_iso_date

DEFAULT_MIN_REST_HOURS = 11  # EU Working Time Directive daily rest
DEFAULT_MAX_SHIFTS_PER_WEEK = 5


@dataclass
class _StaffState:
    staff_id: str
    roles: frozenset[str]
    unavailable_days: frozenset[int]
    max_shifts: int
    intervals: list[tuple[int, int]] = field(default_factory=list)

    @property
    def hours(self) -> int:
        return sum(end - start for start, end in self.intervals)


def _interval(shift: dict) -> tuple[int, int]:
    """Hours since week_start at which the shift starts and ends."""
    start = shift["day_index"] * 24 + shift["start_hour"]
    return start, start + shift["duration_hours"]


def _keeps_rest(state: _StaffState, interval: tuple[int, int], min_rest: int) -> bool:
    start, end = interval
    return all(
        start >= other_end + min_rest or end + min_rest <= other_start for other_start, other_end in state.intervals
    )


def _qualifies(state: _StaffState, shift: dict, min_rest: int) -> bool:
    return (
        shift["role"] in state.roles
        and shift["day_index"] not in state.unavailable_days
        and len(state.intervals) < state.max_shifts
        and _keeps_rest(state, _interval(shift), min_rest)
    )


def _staff_states(staff: list[dict], weekly_limit: int) -> list[_StaffState]:
    states: dict[str, _StaffState] = {}
    for person in staff:
        # A repeated id is the same person: the first record wins.
        states.setdefault(
            person["staff_id"],
            _StaffState(
                staff_id=person["staff_id"],
                roles=frozenset(person["roles"]),
                unavailable_days=frozenset(person.get("unavailable_days", ())),
                max_shifts=min(person.get("max_shifts_per_week", weekly_limit), weekly_limit),
            ),
        )
    return list(states.values())


def run(payload: dict, ctx: FallbackContext) -> dict:
    rules = payload.get("rules", {})
    min_rest = rules.get("min_rest_hours", DEFAULT_MIN_REST_HOURS)
    weekly_limit = rules.get("max_shifts_per_week", DEFAULT_MAX_SHIFTS_PER_WEEK)
    states = _staff_states(payload["staff"], weekly_limit)

    assignments, unmet = [], []
    for shift in sorted(payload["shifts"], key=lambda shift: (_interval(shift), shift["shift_id"])):
        assigned: list[str] = []
        # Least-loaded first; on a tie, the less versatile person, keeping versatile ones free.
        for state in sorted(states, key=lambda state: (state.hours, len(state.roles), state.staff_id)):
            if len(assigned) == shift["required_staff"]:
                break
            if _qualifies(state, shift, min_rest):
                state.intervals.append(_interval(shift))
                assigned.append(state.staff_id)
        assignments.append(
            {
                "shift_id": shift["shift_id"],
                "day_index": shift["day_index"],
                "start_hour": shift["start_hour"],
                "duration_hours": shift["duration_hours"],
                "role": shift["role"],
                "required_staff": shift["required_staff"],
                "staff_ids": assigned,
            }
        )
        if len(assigned) < shift["required_staff"]:
            unmet.append(
                {
                    "shift_id": shift["shift_id"],
                    "role": shift["role"],
                    "missing": shift["required_staff"] - len(assigned),
                }
            )

    result = {
        "assignments": assignments,
        "unmet_demand": unmet,
        "staff_load": [
            {"staff_id": state.staff_id, "shifts": len(state.intervals), "hours": state.hours} for state in states
        ],
        "rules_applied": {"min_rest_hours": min_rest, "max_shifts_per_week": weekly_limit},
    }
    week_start = parse_iso_date(payload["week_start"])
    if week_start is not None:
        result["week_start"] = week_start.isoformat()
    return result
