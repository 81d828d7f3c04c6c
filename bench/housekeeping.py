"""housekeeping.route: the OR-Tools solver against the greedy nearest-floor fallback on generated
hotels (walking, floor changes, the longest attendant's day, how long urgent rooms wait, rooms
late for their ready-by time), and the solver's time at 200 rooms / 10 attendants (target p95
<= 500 ms). In-process, no database: the route model is pure (capabilities/fallbacks/housekeeping_route.py).

    python -m bench.housekeeping [--hotels 10] [--timing-runs 40] [--time-limit-ms 300] [--no-windows]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from capabilities.fallbacks import FallbackContext
from capabilities.fallbacks.housekeeping_route import is_urgent
from capabilities.fallbacks.housekeeping_route import run as greedy
from capabilities.solvers.housekeeping import solve

SIZES = [(20, 3, 1), (60, 5, 3), (120, 8, 6), (200, 10, 10)]  # rooms, floors, attendants
STATUSES = ["checkout", "stayover", "stayover", "arrival", "vacant_dirty", "inspect"]


def hotel(rooms: int, floors: int, staff: int, seed: int, *, windows: bool = True) -> dict:
    """A hotel of `floors` floors with corridors of up to 2x the rooms a floor needs (positions
    from the numbers), a random mix of statuses, ~10 % VIP or high priority, and time windows on
    ~20 % of the rooms (check-outs not before 60-180 min, arrivals ready by 120-300 min)."""
    rnd = random.Random(seed)
    per_floor = rooms // floors + 2
    picked = rnd.sample(
        [(floor, number) for floor in range(1, floors + 1) for number in range(1, 2 * per_floor)], rooms
    )
    out = []
    for floor, number in picked:
        room = {"room_number": f"{floor}{number:02d}", "floor": floor, "status": rnd.choice(STATUSES)}
        if rnd.random() < 0.1:
            room["priority"] = rnd.choice(["vip", "high"])
        if windows and room["status"] == "checkout" and rnd.random() < 0.4:
            room["not_before_minute"] = rnd.randrange(60, 181, 15)
        if windows and room["status"] == "arrival" and rnd.random() < 0.6:
            room["ready_by_minute"] = rnd.randrange(120, 301, 30)
        out.append(room)
    return {"start_floor": 0, "staff_count": staff, "floor_change_minutes": 3, "rooms": out}


def figures(payload: dict, route: dict) -> dict:
    urgent = {room["room_number"] for room in payload["rooms"] if is_urgent(room)}
    waits = [stop["start_minute"] for stop in route["stops"] if stop["room_number"] in urgent]
    return {
        "walking_m": route["walking_m"],
        "floor_changes": route["floor_changes"],
        "longest_day": route["total_minutes"],
        "urgent_start": statistics.mean(waits) if waits else 0.0,
        "late": sum(1 for stop in route["stops"] if stop.get("late")),
    }


def quality(hotels: int, limit: float, *, windows: bool) -> None:
    print(
        "| rooms / floors / attendants | route | walking (m) | floor changes | longest day (min) | "
        "urgent rooms start (mean min) | rooms late |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for rooms, floors, staff in SIZES:
        rows: dict[str, list[dict]] = {"solver": [], "greedy": []}
        for seed in range(hotels):
            payload = hotel(rooms, floors, staff, seed, windows=windows)
            rows["greedy"].append(figures(payload, greedy(payload, FallbackContext())))
            rows["solver"].append(figures(payload, solve(payload, time_limit_seconds=limit).output))
        for name, found in rows.items():
            median = {key: statistics.median(row[key] for row in found) for key in found[0]}
            print(
                f"| {rooms} / {floors} / {staff} | {name} (median of {hotels}) | {median['walking_m']:.0f} | "
                f"{median['floor_changes']:.0f} | {median['longest_day']:.0f} | {median['urgent_start']:.0f} | "
                f"{median['late']:.0f} |"
            )


def timing(runs: int, limit: float) -> None:
    seconds = []
    for run in range(runs):
        payload = hotel(200, 10, 10, 1000 + run)
        started = time.perf_counter()
        solve(payload, time_limit_seconds=limit)
        seconds.append((time.perf_counter() - started) * 1000)
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(
        f"\nsolver at 200 rooms / 10 attendants, time limit {limit * 1000:.0f} ms, {runs} hotels: "
        f"p50 {statistics.median(seconds):.0f} ms, p95 {p95:.0f} ms, max {ordered[-1]:.0f} ms"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hotels", type=int, default=10)
    parser.add_argument("--timing-runs", type=int, default=40)
    parser.add_argument("--time-limit-ms", type=int, default=300)
    parser.add_argument("--no-windows", action="store_true", help="hotels without time windows")
    args = parser.parse_args(argv)
    limit = args.time_limit_ms / 1000
    quality(args.hotels, limit, windows=not args.no_windows)
    timing(args.timing_runs, limit)


if __name__ == "__main__":
    main()
