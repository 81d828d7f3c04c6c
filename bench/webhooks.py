"""What the webhook fan-out adds to the outbox relay (issue 20): batches of 100 events of 10
tenants relayed through the log publisher (no network), with no endpoint registered, and with
every tenant having 2 endpoints subscribed to the events (200 deliveries inserted per batch).
Reports the median time of a relayed batch over several batches.

    python -m bench.webhooks --batches 20

Nothing here is a test: a throwaway embedded PostgreSQL (bench/stack.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def relay_batches(tenants, batches: int) -> list[float]:
    from melmastoon_ai.outbox.publishers import LogPublisher
    from melmastoon_ai.outbox.services import outbox_emit_many, outbox_relay
    from melmastoon_ai.tenancy.context import tenant_context

    publisher = LogPublisher()
    timings = []
    for _ in range(batches):
        for tenant in tenants:
            with tenant_context(tenant.id):
                outbox_emit_many(tenant_id=tenant.id, key="bench", events=[("hitl.gate_opened", {"gate_id": "g"})] * 10)
        started = time.perf_counter()
        result = outbox_relay(publisher=publisher, batch_size=100)
        timings.append(time.perf_counter() - started)
        assert result.published == 100, result
    return timings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=20)
    args = parser.parse_args(argv)
    from bench.stack import infrastructure

    with infrastructure() as env:
        os.environ.update(env, WEBHOOK_ALLOWED_HOSTS="hooks.bench.internal")
        import logging

        import django

        django.setup()
        logging.disable(logging.INFO)
        from melmastoon_ai.tenancy.context import tenant_context
        from melmastoon_ai.tenancy.services import tenant_create
        from melmastoon_ai.webhooks.models import WebhookDelivery
        from melmastoon_ai.webhooks.services import webhook_endpoint_create

        tenants = [tenant_create(name=f"bench webhooks {n}") for n in range(10)]
        relay_batches(tenants, 3)  # warm up
        without = relay_batches(tenants, args.batches)
        for tenant in tenants:
            with tenant_context(tenant.id):
                for n in range(2):
                    webhook_endpoint_create(
                        tenant_id=tenant.id, url=f"https://hooks.bench.internal/{n}", event_types=["hitl.*"]
                    )
        from melmastoon_ai.webhooks import services

        services._enqueue_after_commit = lambda deliveries: None  # the relay's cost alone, no broker
        with_endpoints = relay_batches(tenants, args.batches)
        with tenant_context(tenants[0].id):
            per_tenant = WebhookDelivery.objects.filter(tenant_id=tenants[0].id).count()
        print(f"{args.batches} batches of 100 events, 10 tenants")
        print(f"no endpoints:            median {statistics.median(without) * 1000:.1f} ms per batch")
        print(
            f"2 endpoints per tenant:  median {statistics.median(with_endpoints) * 1000:.1f} ms per batch "
            f"(200 deliveries inserted per batch; {per_tenant} for the first tenant)"
        )


if __name__ == "__main__":
    main()
