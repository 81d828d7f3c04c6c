"""housekeeping.route fallback: greedy nearest-floor route, and the route model the solver shares.

Urgent rooms (arrivals, check-outs, VIP or high priority) are cleaned first because a guest is
waiting for them; the rest follow. Within each of the two passes the attendant finishes a floor
before moving to the nearest floor that still has work, so each floor is visited at most once
per pass: that is what keeps lift and stair time down. With several attendants the greedy order
is cut into consecutive runs of about equal cleaning time, one per attendant.

The route model (also the OR-Tools solver's, capabilities/solvers/housekeeping.py): every floor
has its lift and stairs at position 0; a room lies `position_m` metres along the corridor (by
default its number's last two digits times a door spacing). Walking between two rooms of a
floor is the distance between them; between floors it is to the lift, then from it, plus
`floor_change_minutes`. A room may not be started before `not_before_minute` (the guest is
still in) and should be ready by `ready_by_minute`; an attendant waits rather than start early.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from capabilities.fallbacks import FallbackContext

DEFAULT_FLOOR_CHANGE_MINUTES = 3.0
DEFAULT_WALKING_M_PER_MINUTE = 60.0  # 1 m/s with a cart
DOOR_SPACING_M = 4.0
CLEAN_MINUTES = {"checkout": 35, "arrival": 30, "vacant_dirty": 30, "stayover": 20, "inspect": 10}
_URGENT_STATUSES = frozenset({"arrival", "checkout"})
_URGENT_PRIORITIES = frozenset({"vip", "high"})
# Order within a floor: the guest-facing urgency first.
_STATUS_RANK = {"arrival": 0, "checkout": 1, "vacant_dirty": 2, "stayover": 3, "inspect": 4}
_PRIORITY_RANK = {"vip": 0, "high": 1, "normal": 2}


def is_urgent(room: dict) -> bool:
    return room["status"] in _URGENT_STATUSES or room.get("priority", "normal") in _URGENT_PRIORITIES


def position_m(room: dict) -> float:
    """Metres from the floor's lift and stairs: given, else the room number's last two digits apart."""
    if "position_m" in room:
        return float(room["position_m"])
    digits = re.findall(r"\d+", room["room_number"])
    return float(int(digits[-1]) % 100) * DOOR_SPACING_M if digits else 0.0


def clean_minutes(room: dict) -> int:
    return room.get("estimated_minutes", CLEAN_MINUTES[room["status"]])


@dataclass(frozen=True)
class Travel:
    """The walking model of one request."""

    floor_change_minutes: float
    walking_m_per_minute: float

    @classmethod
    def of(cls, payload: dict) -> Travel:
        return cls(
            float(payload.get("floor_change_minutes", DEFAULT_FLOOR_CHANGE_MINUTES)),
            float(payload.get("walking_m_per_minute", DEFAULT_WALKING_M_PER_MINUTE)),
        )

    @staticmethod
    def metres(a: tuple[int, float], b: tuple[int, float]) -> float:
        """(floor, position) to (floor, position): along the corridor, or via the lift."""
        return abs(a[1] - b[1]) if a[0] == b[0] else a[1] + b[1]

    def minutes(self, a: tuple[int, float], b: tuple[int, float]) -> float:
        change = self.floor_change_minutes if a[0] != b[0] else 0.0
        return self.metres(a, b) / self.walking_m_per_minute + change


def _room_number_key(room_number: str) -> tuple:
    """Natural order, so that 102 comes before 1010 and G2 before G10."""
    parts = re.findall(r"\d+|\D+", room_number)
    return tuple((0, int(part), "") if part.isdecimal() else (1, 0, part) for part in parts)


def _within_floor_key(room: dict) -> tuple:
    return (
        _PRIORITY_RANK[room.get("priority", "normal")],
        _STATUS_RANK[room["status"]],
        _room_number_key(room["room_number"]),
    )


def _nearest_floor(current: int, floors: set[int]) -> int:
    # On a tie, go down: housekeeping carts and linen chutes usually start from the bottom.
    return min(floors, key=lambda floor: (abs(floor - current), floor))


def _greedy_pass(rooms: list[dict], current_floor: int) -> tuple[list[dict], int]:
    """Rooms ordered floor by floor from `current_floor`; returns them and the last floor."""
    by_floor: dict[int, list[dict]] = {}
    for room in rooms:
        by_floor.setdefault(room["floor"], []).append(room)
    ordered = []
    while by_floor:
        current_floor = _nearest_floor(current_floor, set(by_floor))
        ordered.extend(sorted(by_floor.pop(current_floor), key=_within_floor_key))
    return ordered, current_floor


def staff_count(payload: dict) -> int:
    return max(1, min(payload.get("staff_count", 1), len(payload["rooms"]) or 1))


def greedy_routes(payload: dict) -> list[list[dict]]:
    """The greedy order, cut into one run of about equal cleaning minutes per attendant."""
    urgent = [room for room in payload["rooms"] if is_urgent(room)]
    routine = [room for room in payload["rooms"] if not is_urgent(room)]
    first_pass, floor_after_urgent = _greedy_pass(urgent, payload["start_floor"])
    second_pass, _ = _greedy_pass(routine, floor_after_urgent)
    ordered = first_pass + second_pass
    staff = staff_count(payload)
    share = sum(clean_minutes(room) for room in ordered) / staff
    routes: list[list[dict]] = [[] for _ in range(staff)]
    done, attendant = 0.0, 0
    for room in ordered:
        if attendant < staff - 1 and routes[attendant] and done + clean_minutes(room) / 2 > share * (attendant + 1):
            attendant += 1
        routes[attendant].append(room)
        done += clean_minutes(room)
    return routes


def route_result(payload: dict, routes: list[list[dict]], *, method: str) -> dict:
    """The HousekeepingRoute of these per-attendant room orders: times, walking, floor changes, lateness."""
    travel = Travel.of(payload)
    start = (payload["start_floor"], 0.0)
    stops, summaries, notes = [], [], []
    sequence = 0
    for attendant, rooms in enumerate(routes, start=1):
        minute, walked, changes, place = 0.0, 0.0, 0, start
        for room in rooms:
            here = (room["floor"], position_m(room))
            walked += travel.metres(place, here)
            changes += here[0] != place[0]
            minute = max(minute + travel.minutes(place, here), float(room.get("not_before_minute", 0)))
            sequence += 1
            stop = {
                "sequence": sequence,
                "attendant": attendant,
                "room_number": room["room_number"],
                "floor": room["floor"],
                "status": room["status"],
                "priority": room.get("priority", "normal"),
                "start_minute": round(minute, 2),
                "clean_minutes": clean_minutes(room),
            }
            minute += clean_minutes(room)
            if "ready_by_minute" in room and minute > room["ready_by_minute"]:
                stop["late"] = True
            stops.append(stop)
            place = here
        summaries.append(
            {
                "attendant": attendant,
                "stops": len(rooms),
                "total_minutes": round(minute, 2),
                "walking_m": round(walked, 1),
                "floor_changes": changes,
            }
        )
    total = max((summary["total_minutes"] for summary in summaries), default=0.0)
    late = [stop["room_number"] for stop in stops if stop.get("late")]
    exceeds = "shift_minutes" in payload and total > payload["shift_minutes"]
    if exceeds:
        notes.append("The rooms need more time than the shift: ask the lead to reassign some.")
    if late:
        notes.append(f"Not ready in time: {', '.join(late[:20])}."[:300])
    return {
        "start_floor": payload["start_floor"],
        "method": method,
        "stops": stops,
        "total_minutes": total,
        "floor_changes": sum(summary["floor_changes"] for summary in summaries),
        "walking_m": round(sum(summary["walking_m"] for summary in summaries), 1),
        "attendants": summaries,
        "exceeds_shift": exceeds,
        "notes": notes,
    }


def run(payload: dict, ctx: FallbackContext) -> dict:
    return route_result(payload, greedy_routes(payload), method="greedy")
