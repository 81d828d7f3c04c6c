"""Prometheus metrics of the process (and of all gunicorn workers in multiprocess mode)."""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST

HTTP_REQUESTS = Counter(
    "melmastoon_http_requests_total", "HTTP requests", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "melmastoon_http_request_seconds", "HTTP request latency", ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

# Collectors that read shared state (Redis) at scrape time; the same answer from any worker.
_SCRAPE_COLLECTORS: list = []


def register_scrape_collector(collector) -> None:
    if collector not in _SCRAPE_COLLECTORS:
        _SCRAPE_COLLECTORS.append(collector)


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
