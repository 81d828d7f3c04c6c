"""Prometheus metrics of the process (and of all gunicorn workers in multiprocess mode)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

logger = logging.getLogger(__name__)

HTTP_REQUESTS = Counter("melmastoon_http_requests_total", "HTTP requests", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "melmastoon_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
# Requests being served now: the Helm chart's autoscaler scales on it (per pod, summed over workers).
HTTP_IN_FLIGHT = Gauge("melmastoon_http_requests_in_flight", "HTTP requests being served", multiprocess_mode="livesum")

# Celery task outcomes (melmastoon_ai/celery.py signals): success, failure or retry, by task name.
TASKS = Counter("melmastoon_celery_tasks_total", "Celery tasks finished, by outcome", ["task", "outcome"])

# Collectors that read shared state (Redis) at scrape time; the same answer from any worker.
_SCRAPE_COLLECTORS: list = []


def register_scrape_collector(collector) -> None:
    if collector not in _SCRAPE_COLLECTORS:
        _SCRAPE_COLLECTORS.append(collector)


class FigureGauges:
    """A scrape collector of unlabelled gauges read from `figures()` ({key: value}) at scrape time.

    `gauges`: key -> (metric name, help). A key `figures()` leaves out, or `figures()` failing (a
    scrape must not fail because the database blinked: logged as "`what` gauges unavailable"),
    leaves its gauge without a sample for that scrape; `enabled()` false reports nothing at all."""

    def __init__(
        self,
        what: str,
        gauges: Mapping[str, tuple[str, str]],
        figures: Callable[[], Mapping[str, float]],
        enabled: Callable[[], bool] = lambda: True,
    ):
        self.what, self.gauges, self.figures, self.enabled = what, gauges, figures, enabled

    def collect(self):
        if not self.enabled():
            return
        families = {key: GaugeMetricFamily(name, help_text) for key, (name, help_text) in self.gauges.items()}
        try:
            values = self.figures()
        except Exception:
            logger.warning(f"{self.what} gauges unavailable for this scrape")
            values = {}
        for key, family in families.items():
            if key in values:
                family.add_metric([], values[key])
        yield from families.values()


def render() -> tuple[bytes, str]:
    """Exposition text: merged across worker processes when PROMETHEUS_MULTIPROC_DIR is set."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Forward(REGISTRY))
    for collector in _SCRAPE_COLLECTORS:
        registry.register(collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Forward:
    """Expose the process's default registry inside a per-scrape registry."""

    def __init__(self, source: CollectorRegistry):
        self._source = source

    def collect(self):
        return self._source.collect()
