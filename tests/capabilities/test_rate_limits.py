"""Rate limits per (tenant, feature) and per tenant: a caller rotating `context.feature` never gets
more than the tenant-wide limit, and a tenant's distinct features are bounded (issue 15 #10)."""

from __future__ import annotations

import uuid

from capabilities.models import Capability
from melmastoon_ai.ratelimit import OTHER_FEATURES, RateLimiter
from melmastoon_ai.tenancy.models import Tenant


def test_rotating_the_feature_name_stops_at_the_tenant_limit(client_a, tenant_a, catalog, settings):
    settings.RATE_LIMIT_TENANT_MULTIPLIER = 4
    Tenant.objects.filter(pk=tenant_a.pk).update(rate_limit_per_minute=5)
    example = Capability.objects.get(pk="upsell.recommend").examples[0]
    statuses = [
        client_a.post(
            "/api/v1/ai/complete",
            {"capability": "upsell.recommend", "input": example, "context": {"feature": f"rotated-{n}"}},
            format="json",
        ).status_code
        for n in range(30)
    ]
    assert statuses.count(200) == 20  # 5 a minute per feature, 4 x 5 for the tenant
    assert set(statuses[20:]) == {429}


def test_one_feature_is_limited_on_its_own_and_others_go_on(client_a, tenant_a, catalog):
    Tenant.objects.filter(pk=tenant_a.pk).update(rate_limit_per_minute=2)
    example = Capability.objects.get(pk="upsell.recommend").examples[0]

    def status(feature: str) -> int:
        return client_a.post(
            "/api/v1/ai/complete",
            {"capability": "upsell.recommend", "input": example, "context": {"feature": feature}},
            format="json",
        ).status_code

    assert [status("upsell") for _ in range(3)] == [200, 200, 429]
    assert status("pricing") == 200


def test_past_the_feature_bound_new_features_share_one_bucket():
    limiter = RateLimiter(max_features=3, tenant_multiplier=1000)
    tenant = str(uuid.uuid4())
    buckets = [limiter.hit(tenant_id=tenant, feature=f"f{n}", per_minute=1000).bucket for n in range(5)]
    assert buckets == ["f0", "f1", "f2", OTHER_FEATURES, OTHER_FEATURES]
    assert limiter.hit(tenant_id=tenant, feature="f1", per_minute=1000).bucket == "f1"  # known ones keep theirs

    one_feature = RateLimiter(max_features=1, tenant_multiplier=1000)
    other_tenant = str(uuid.uuid4())
    assert one_feature.hit(tenant_id=other_tenant, feature="known", per_minute=2).bucket == "known"
    shared = [one_feature.hit(tenant_id=other_tenant, feature=f"new-{n}", per_minute=2).allowed for n in range(3)]
    assert shared == [True, True, False]  # every unknown feature counts in the one (other) bucket
