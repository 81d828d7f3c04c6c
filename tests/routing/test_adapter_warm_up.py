"""Issue 15 #20: every configured adapter is imported and built when a server process starts
(melmastoon_ai/serving.py), so the first fallback after a restart does not spend its deadline
importing an SDK (`import anthropic` took about 3 s cold and the chain's next providers were
marked `timeout` with latency 0)."""

from __future__ import annotations

from routing.providers.registry import adapter_for, adapters, build_adapters


def test_a_worker_builds_every_adapter_before_it_takes_traffic(db, catalog, providers_from_settings):
    adapter_for.cache_clear()
    configured = build_adapters()
    assert {"openai", "anthropic", "vertex"} <= set(configured)
    built = adapter_for.cache_info()
    assert built.currsize == len(adapters())  # each kind constructed once, now
    for kind in adapters():
        adapter_for(kind)
    assert adapter_for.cache_info().misses == built.misses  # a request constructs nothing


def test_the_worker_warm_up_is_what_the_server_runs(db, catalog, providers_from_settings):
    from melmastoon_ai import gunicorn_conf, serving

    adapter_for.cache_clear()
    serving.warm_up_worker()
    assert adapter_for.cache_info().currsize == len(adapters())
    assert "warm_up_worker" in open(gunicorn_conf.__file__, encoding="utf-8").read()
