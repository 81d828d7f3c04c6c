"""Reviewer pages (issue 8): how long the queue and a gate page take to render for a hotel with
many open gates, through the whole Django stack in-process (session auth, RLS, guardian's
per-object permission join, templates), against real PostgreSQL and Redis. Also the cost of
opening a gate (the record, two guardian grants, the outbox event) inside `complete`."""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid

from bench.stack import infrastructure, median_ms


def measure(gates: int, repeat: int) -> dict:
    from django.test import Client

    from capabilities.models import Capability
    from hitl.services import reviewer_account_create
    from melmastoon_ai.tenancy.services import api_key_create, tenant_create

    tenant = tenant_create(name=f"bench {uuid.uuid4().hex[:6]}")
    tenant.rate_limit_per_minute = 10**6
    tenant.save()
    key = api_key_create(tenant_id=tenant.id, scopes=["ai:invoke"]).raw
    api = Client(HTTP_X_API_KEY=key)
    example = Capability.objects.get(pk="message.draft").examples[0]
    gate_opening, upsell = [], []
    gate_ids = []
    for index in range(gates):
        payload = dict(example, guest_name=f"Guest {index}")
        started = time.perf_counter()
        body = api.post(
            "/api/v1/ai/complete", {"capability": "message.draft", "input": payload}, content_type="application/json"
        ).json()
        gate_opening.append((time.perf_counter() - started) * 1000)
        gate_ids.append(body["hitl"]["gate_id"])
    upsell_input = Capability.objects.get(pk="upsell.recommend").examples[0]
    for _ in range(min(gates, 200)):  # a capability that opens no gate, for comparison
        started = time.perf_counter()
        api.post(
            "/api/v1/ai/complete",
            {"capability": "upsell.recommend", "input": upsell_input},
            content_type="application/json",
        )
        upsell.append((time.perf_counter() - started) * 1000)
    user = reviewer_account_create(
        tenant_id=tenant.id, username=f"bench-{uuid.uuid4().hex[:6]}", password=uuid.uuid4().hex, groups=["reviewers"]
    )
    browser = Client()
    browser.force_login(user)
    assert browser.get("/hitl/").status_code == 200
    return {
        "queue_ms": median_ms(lambda: browser.get("/hitl/"), repeat),
        "filtered_queue_ms": median_ms(
            lambda: browser.get("/hitl/?capability=message.draft&status=all&page=3"), repeat
        ),
        "gate_page_ms": median_ms(lambda: browser.get(f"/hitl/gates/{gate_ids[len(gate_ids) // 2]}/"), repeat),
        "complete_with_gate_ms": statistics.median(gate_opening),
        "complete_without_gate_ms": statistics.median(upsell),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gates", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with infrastructure() as env:
        os.environ.update(env, ALLOWED_HOSTS="testserver", SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0")
        import django

        django.setup()
        runs = [measure(args.gates, args.repeat) for _ in range(args.runs)]
        medians = {name: statistics.median(run[name] for run in runs) for name in runs[0]}
        print(
            f"reviewer pages, {args.gates} open gates per hotel x {args.runs} hotels (median of runs, "
            f"each the median of {args.repeat} requests):"
        )
        print(
            f"  queue page {medians['queue_ms']:.1f} ms; filtered, page 3: {medians['filtered_queue_ms']:.1f} ms; "
            f"gate page {medians['gate_page_ms']:.1f} ms"
        )
        print(
            f"  complete(message.draft) opening a gate: {medians['complete_with_gate_ms']:.1f} ms; "
            f"complete(upsell.recommend), no gate: {medians['complete_without_gate_ms']:.1f} ms"
        )


if __name__ == "__main__":
    main()
