"""housekeeping.route by OR-Tools' vehicle-routing solver: one vehicle per attendant.

The objective is the walking and lift time of the route model the greedy fallback uses
(capabilities/fallbacks/housekeeping_route.py), plus soft costs: each minute an urgent room
(VIP, high priority, arrival, check-out) waits, each minute past a room's `ready_by_minute`
(so heavy that it acts as a deadline the solver breaks only when nothing else fits), the
span of the longest attendant's day (so the work is shared) and each minute past the shift.
`not_before_minute` is hard: an attendant waits. No attendant's day may end later than the
greedy plan's longest day (hard): without that bound the heavy lateness cost bought fewer late
rooms with days no lead would accept (one attendant at 1,113 minutes against greedy's 648 on a
200-room hotel, bench/housekeeping.py). The search starts from the greedy routes, which meet the
bound, so its answer is never worse than the greedy one by this objective, and stops at its time
limit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from capabilities.fallbacks.housekeeping_route import (
    Travel,
    clean_minutes,
    greedy_routes,
    is_urgent,
    position_m,
    route_result,
    staff_count,
)

TICKS_PER_MINUTE = 10  # the time dimension counts tenths of a minute
COST_PER_TICK = 10  # arc costs: hundredths of a minute of walking, so soft weights can be fractions
# Cost per tick waited, in hundredths of a walking minute: a VIP room waiting 10 minutes costs as much
# as 5 minutes of walking.
URGENCY_COST = {"vip": 5, "high": 3, "arrival": 2, "checkout": 2}
LATE_COST = 1000  # per tick past ready_by: 100 walking minutes a minute late
# per tick of the longest day: 2 walking minutes a minute, which shares the rooms out (at 1 the solver
# left one attendant 250 minutes longer than the others on a 200-room hotel; bench/housekeeping.py)
SPAN_COST = 20
SHIFT_COST = 200  # per tick past shift_minutes
HORIZON_MINUTES = 24 * 60 * 3


class NoRoute(RuntimeError):
    """The solver found no route within its time limit."""


@dataclass(frozen=True)
class Solved:
    output: dict
    objective: int
    greedy_objective: int | None
    seconds: float


def _urgency_cost(room: dict) -> int:
    priority = room.get("priority", "normal")
    if priority in URGENCY_COST:
        return URGENCY_COST[priority]
    return URGENCY_COST.get(room["status"], 0) if is_urgent(room) else 0


def _matrices(payload: dict) -> tuple[list[list[int]], list[list[int]]]:
    """Arc costs and time transits between the start (node 0) and the rooms (1..n), computed as
    Travel.minutes does, for all pairs at once. Walking back to the start is free (an attendant's
    day ends at the last room), but the last room's cleaning is in the day: the span and the shift
    end when it is clean, not when it is begun. Arc costs are hundredths of a walking minute of the
    exact distance, not of the rounded ticks: at tenths of a minute a 4 m and an 8 m walk both
    rounded to one tick, and the solver could not tell the shorter route from the longer."""
    travel = Travel.of(payload)
    rooms = payload["rooms"]
    floors = np.array([payload["start_floor"]] + [room["floor"] for room in rooms])
    positions = np.array([0.0] + [position_m(room) for room in rooms])
    service = np.array([0] + [clean_minutes(room) * TICKS_PER_MINUTE for room in rooms], dtype=np.int64)
    same_floor = floors[:, None] == floors[None, :]
    along = np.abs(positions[:, None] - positions[None, :])
    metres = np.where(same_floor, along, positions[:, None] + positions[None, :])
    minutes = metres / travel.walking_m_per_minute + np.where(same_floor, 0.0, travel.floor_change_minutes)
    minutes[:, 0] = 0.0
    np.fill_diagonal(minutes, 0.0)
    ticks = np.rint(minutes * TICKS_PER_MINUTE).astype(np.int64)
    transits = ticks + service[:, None]
    np.fill_diagonal(transits, 0)
    costs = np.rint(minutes * TICKS_PER_MINUTE * COST_PER_TICK).astype(np.int64)
    return costs.tolist(), transits.tolist()


def _day_end_ticks(route: list[int], transits: list[list[int]], rooms: list[dict]) -> int:
    """When a route of nodes ends in the time dimension: transit by transit from the start, waiting
    for each room's `not_before_minute`, as the solver's cumul variables count it."""
    at, tick = 0, 0
    for node in route:
        tick = max(tick + transits[at][node], rooms[node - 1].get("not_before_minute", 0) * TICKS_PER_MINUTE)
        at = node
    return tick + transits[at][0]


def _model(payload: dict, greedy: list[list[int]]) -> tuple[pywrapcp.RoutingIndexManager, pywrapcp.RoutingModel]:
    rooms, staff = payload["rooms"], staff_count(payload)
    costs, transits = _matrices(payload)
    manager = pywrapcp.RoutingIndexManager(len(rooms) + 1, staff, 0)
    routing = pywrapcp.RoutingModel(manager)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(costs))
    horizon = HORIZON_MINUTES * TICKS_PER_MINUTE
    routing.AddDimension(routing.RegisterTransitMatrix(transits), horizon, horizon, True, "time")
    clock = routing.GetDimensionOrDie("time")
    clock.SetGlobalSpanCostCoefficient(SPAN_COST)
    longest_greedy_day = max((_day_end_ticks(route, transits, rooms) for route in greedy), default=0)
    for vehicle in range(staff):
        clock.CumulVar(routing.End(vehicle)).SetMax(longest_greedy_day)
    for node, room in enumerate(rooms, start=1):
        index = manager.NodeToIndex(node)
        clock.CumulVar(index).SetMin(room.get("not_before_minute", 0) * TICKS_PER_MINUTE)
        if (weight := _urgency_cost(room)) > 0:
            clock.SetCumulVarSoftUpperBound(index, 0, weight)
        if "ready_by_minute" in room:
            latest_start = (room["ready_by_minute"] - clean_minutes(room)) * TICKS_PER_MINUTE
            clock.SetCumulVarSoftUpperBound(index, max(latest_start, 0), LATE_COST)
    if "shift_minutes" in payload:
        for vehicle in range(staff):
            clock.SetCumulVarSoftUpperBound(
                routing.End(vehicle), payload["shift_minutes"] * TICKS_PER_MINUTE, SHIFT_COST
            )
    return manager, routing


def _parameters(time_limit_seconds: float) -> pywrapcp.DefaultRoutingSearchParameters:
    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    parameters.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    milliseconds = max(1, int(time_limit_seconds * 1000))
    parameters.time_limit.seconds, parameters.time_limit.nanos = divmod(milliseconds, 1000)
    parameters.time_limit.nanos *= 1_000_000
    return parameters


def solve(payload: dict, *, time_limit_seconds: float) -> Solved:
    """The solver's route for a payload valid against the input schema; NoRoute when it finds none
    in `time_limit_seconds` (the search itself; building the model comes on top, ~10 ms at 200 rooms)."""
    started = time.perf_counter()
    rooms = payload["rooms"]
    if not rooms:
        return Solved(route_result(payload, [[]], method="solver"), 0, 0, 0.0)
    node_of = {id(room): node for node, room in enumerate(rooms, start=1)}
    greedy = [[node_of[id(room)] for room in route] for route in greedy_routes(payload)]
    manager, routing = _model(payload, greedy)
    parameters = _parameters(time_limit_seconds)
    # Closed with the time limit first: ReadAssignmentFromRoutes otherwise closes the model with
    # the default parameters, which have no limit, and restoring a greedy route that breaks a hard
    # window (a not_before_minute past the rooms before it) then searched without end.
    routing.CloseModelWithParameters(parameters)
    initial = routing.ReadAssignmentFromRoutes(greedy, True)
    if initial is not None:
        solution = routing.SolveFromAssignmentWithParameters(initial, parameters)
    else:
        solution = routing.SolveWithParameters(parameters)
    if solution is None:
        raise NoRoute(f"no route for {len(rooms)} rooms within {time_limit_seconds:.3f} s")
    routes = []
    for vehicle in range(routing.vehicles()):
        index, route = routing.Start(vehicle), []
        index = solution.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            route.append(rooms[manager.IndexToNode(index) - 1])
            index = solution.Value(routing.NextVar(index))
        routes.append(route)
    return Solved(
        route_result(payload, routes, method="solver"),
        solution.ObjectiveValue(),
        initial.ObjectiveValue() if initial is not None else None,
        time.perf_counter() - started,
    )
