"""The `in_process` provider: the OR-Tools route solver and the tabular demand model."""

from __future__ import annotations

from django.conf import settings

from melmastoon_ai.tenancy.context import release_connection
from routing.providers.base import ProviderError, ProviderRequest, ProviderResponse

SOLVER_MODEL = "ortools-routing"
FORECAST_MODEL = "tabular-seasonal-trend"
BUILD_SECONDS = 0.05  # kept back from the attempt's timeout for building the model and reading the answer


class InProcessAdapter:
    kind = "in_process"

    def __init__(self, *, solver_time_limit_seconds: float = 0.3) -> None:
        self.solver_time_limit_seconds = solver_time_limit_seconds

    @classmethod
    def from_settings(cls) -> InProcessAdapter:
        return cls(solver_time_limit_seconds=settings.HOUSEKEEPING_SOLVER_TIME_LIMIT_MS / 1000)

    def is_configured(self, model: str | None = None) -> bool:
        return model in (None, SOLVER_MODEL, FORECAST_MODEL)

    def complete(self, request: ProviderRequest) -> ProviderResponse:
        handlers = {
            (SOLVER_MODEL, "housekeeping.route"): self._route,
            (FORECAST_MODEL, "pricing.demand_forecast"): self._forecast,
        }
        handler = handlers.get((request.model, request.capability_id))
        if handler is None:
            raise ProviderError(
                "bad_request", f"{request.model} does not serve {request.capability_id}", retryable=False
            )
        return handler(request)

    def _route(self, request: ProviderRequest) -> ProviderResponse:
        from capabilities.solvers.housekeeping import NoRoute, solve

        limit = min(self.solver_time_limit_seconds, request.timeout_seconds - BUILD_SECONDS)
        if limit <= 0:
            raise ProviderError("timeout", "no time left for the solver", retryable=True)
        release_connection()  # a routing check before it (the edge manifest) may have taken one: not for the search
        try:
            solved = solve(request.payload, time_limit_seconds=limit)
        except NoRoute as exc:
            raise ProviderError("timeout", str(exc), retryable=True) from exc
        return ProviderResponse(output=solved.output, model_version=f"ortools-{_ortools_version()}")

    def _forecast(self, request: ProviderRequest) -> ProviderResponse:
        from capabilities.solvers.forecast import TooLittleHistory, forecast

        try:
            output = forecast(request.payload)
        except (TooLittleHistory, ValueError) as exc:
            raise ProviderError("bad_request", str(exc), retryable=False) from exc
        return ProviderResponse(output=output, model_version="seasonal-trend-1")


def _ortools_version() -> str:
    from ortools import __version__

    return __version__
