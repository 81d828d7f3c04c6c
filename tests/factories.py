"""factory_boy factories. Tenant-owned rows are created through services (which set the tenant)."""

from __future__ import annotations

import factory

from melmastoon_ai.tenancy.models import Tenant
from melmastoon_ai.tenancy.services import IssuedKey, api_key_create


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"Hotel {n}")
    region = "europe-west1"
    country = "AF"


class ApiKeyFactory(factory.Factory):
    """Builds an IssuedKey (row + raw key) through `api_key_create`, as production does."""

    class Meta:
        model = IssuedKey

    tenant = factory.SubFactory(TenantFactory)
    scopes = factory.LazyFunction(lambda: ["ai:invoke"])
    name = "test key"

    @classmethod
    def _create(cls, model_class, tenant, scopes, name):
        return api_key_create(tenant_id=tenant.id, scopes=scopes, name=name)

    _build = _create


def canary_served(version):
    """A draft that has run as a canary for its whole review period, as a successor must have."""
    import datetime as dt

    from django.conf import settings
    from django.utils import timezone

    from prompts.models import PromptVersion
    from prompts.services import prompt_version_start_canary

    prompt_version_start_canary(version_id=version.id)
    started = timezone.now() - dt.timedelta(days=settings.PROMPT_CANARY_REVIEW_DAYS, hours=1)
    PromptVersion.objects.filter(pk=version.pk).update(canary_started_at=started)
    return PromptVersion.objects.get(pk=version.pk)


def staff_login(client, user):
    """Log a staff account into the admin as its login would: the password (forced) and a second
    factor verified in the session (ADMIN_REQUIRE_OTP is on outside DEBUG, as in production)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    device, _ = StaticDevice.objects.get_or_create(user=user, name="test backup codes", defaults={"confirmed": True})
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def faq_ingested(tenant: Tenant, entries: list[dict]) -> list[str]:
    """Replace the tenant's FAQ (in a tenant transaction, as an admin save does), then ingest the
    changed entries here after it committed, as the queued `rag.ingest_document` would."""
    from melmastoon_ai.tenancy.context import tenant_context
    from rag.services import document_ingest, faq_entries_replace

    with tenant_context(tenant.id):
        ids = faq_entries_replace(tenant_id=tenant.id, entries=entries, enqueue=False)
    for document_id in ids:
        document_ingest(document_id=document_id, tenant_id=str(tenant.id))
    return ids
