"""What the relay itself counts as it works (the scrape-time gauges of the table are in `metrics`).

`melmastoon_outbox_relay_delay_seconds` is the relay lag an event saw: from the change that wrote
it to the relay recording it published; `melmastoon_outbox_relayed_total` counts outcomes by
event family (published, failed attempt, parked).
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from melmastoon_ai.outbox.catalog import family_of

RELAYED = Counter("melmastoon_outbox_relayed_total", "Outbox relay outcomes, by event family", ["family", "outcome"])
DELAY = Histogram(
    "melmastoon_outbox_relay_delay_seconds",
    "From an outbox event's write to its publication",
    ["family"],
    buckets=(0.1, 0.5, 1, 2, 3, 5, 10, 30, 60, 300, 1800),
)


def published(event_type: str, delay_seconds: float) -> None:
    family = family_of(event_type)
    RELAYED.labels(family, "published").inc()
    DELAY.labels(family).observe(max(delay_seconds, 0.0))


def failed(event_type: str) -> None:
    RELAYED.labels(family_of(event_type), "failed").inc()


def parked(event_type: str) -> None:
    RELAYED.labels(family_of(event_type), "parked").inc()
