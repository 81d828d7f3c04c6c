"""Circuit breaker states in /readyz details, /metrics and the admin."""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily

from melmastoon_ai.observability.health import register_readiness_detail
from melmastoon_ai.observability.metrics import register_scrape_collector
from routing.breakers import STATE_CODES, CircuitBreakers
from routing.models import Provider


def breaker_names() -> list[str]:
    names = list(Provider.objects.exclude(kind="deterministic").values_list("kind", flat=True))
    names += (
        [
            f"self_hosted:{name}"
            for name in Provider.objects.get(kind="self_hosted").models.values_list("name", flat=True)
        ]
        if Provider.objects.filter(kind="self_hosted").exists()
        else []
    )
    return names


@register_readiness_detail("circuits")
def circuit_states() -> dict:
    return CircuitBreakers().states(breaker_names())


class CircuitStateCollector:
    def collect(self):
        gauge = GaugeMetricFamily(
            "melmastoon_provider_circuit_state",
            "Circuit breaker state per provider (0 closed, 1 half-open, 2 open)",
            labels=["breaker"],
        )
        try:
            states = circuit_states()
        except Exception:  # a scrape must not fail because the database or Redis blinked
            states = {}
        for name, state in states.items():
            gauge.add_metric([name], STATE_CODES.get(state, -1))
        yield gauge


register_scrape_collector(CircuitStateCollector())
