"""Every existing tenant without a tenant-wide budget gets its monthly one (issue 15 #8): its
`monthly_token_limit`, else the platform default. The platform's eval tenant is left as it is (its
`eval` feature budget caps it). Runs on the platform path, since every budget table forces RLS."""

from django.conf import settings
from django.db import migrations


def add_default_budgets(apps, schema_editor):
    Tenant = apps.get_model("tenancy", "Tenant")
    Budget = apps.get_model("budgets", "Budget")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT set_config('app.platform_access', 'on', true)")
    capped = set(Budget.objects.filter(feature="").values_list("tenant_id", flat=True))
    for tenant in Tenant.objects.exclude(pk=settings.EVAL_TENANT_ID).exclude(pk__in=capped):
        limit = tenant.monthly_token_limit
        Budget.objects.create(tenant=tenant, feature="", period="monthly",
                              token_limit=settings.DEFAULT_TENANT_MONTHLY_TOKEN_LIMIT if limit is None else limit)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT set_config('app.platform_access', '', true)")


class Migration(migrations.Migration):
    dependencies = [
        ("budgets", "0001_initial"),
        ("tenancy", "0001_initial"),
    ]

    operations = [migrations.RunPython(add_default_budgets, migrations.RunPython.noop)]
