"""housekeeping.route fallback: greedy nearest-floor route.

Urgent rooms (arrivals, check-outs, VIP or high priority) are cleaned first because a guest is
waiting for them; the rest follow. Within each of the two passes the attendant finishes a floor
before moving to the nearest floor that still has work, so each floor is visited at most once
per pass: that is what keeps lift and stair time down.
"""

from __future__ import annotations

import re

from capabilities.fallbacks import FallbackContext

DEFAULT_FLOOR_CHANGE_MINUTES = 3.0
CLEAN_MINUTES = {"checkout": 35, "arrival": 30, "vacant_dirty": 30, "stayover": 20, "inspect": 10}
_URGENT_STATUSES = frozenset({"arrival", "checkout"})
_URGENT_PRIORITIES = frozenset({"vip", "high"})
# Order within a floor: the guest-facing urgency first.
_STATUS_RANK = {"arrival": 0, "checkout": 1, "vacant_dirty": 2, "stayover": 3, "inspect": 4}
_PRIORITY_RANK = {"vip": 0, "high": 1, "normal": 2}


def _is_urgent(room: dict) -> bool:
    return room["status"] in _URGENT_STATUSES or room.get("priority", "normal") in _URGENT_PRIORITIES


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


def run(payload: dict, ctx: FallbackContext) -> dict:
    start_floor = payload["start_floor"]
    floor_change_minutes = payload.get("floor_change_minutes", DEFAULT_FLOOR_CHANGE_MINUTES)
    urgent = [room for room in payload["rooms"] if _is_urgent(room)]
    routine = [room for room in payload["rooms"] if not _is_urgent(room)]
    first_pass, floor_after_urgent = _greedy_pass(urgent, start_floor)
    second_pass, _ = _greedy_pass(routine, floor_after_urgent)

    stops = []
    minute = 0.0
    floor = start_floor
    floor_changes = 0
    for sequence, room in enumerate(first_pass + second_pass, start=1):
        if room["floor"] != floor:
            floor_changes += 1
            minute += floor_change_minutes
            floor = room["floor"]
        clean_minutes = room.get("estimated_minutes", CLEAN_MINUTES[room["status"]])
        stops.append({
            "sequence": sequence,
            "room_number": room["room_number"],
            "floor": room["floor"],
            "status": room["status"],
            "priority": room.get("priority", "normal"),
            "start_minute": round(minute, 2),
            "clean_minutes": clean_minutes,
        })
        minute += clean_minutes

    result = {
        "start_floor": start_floor,
        "stops": stops,
        "total_minutes": round(minute, 2),
        "floor_changes": floor_changes,
        "exceeds_shift": "shift_minutes" in payload and minute > payload["shift_minutes"],
        "notes": [],
    }
    if result["exceeds_shift"]:
        result["notes"].append("The rooms need more time than the shift: ask the lead to reassign some.")
    return result
