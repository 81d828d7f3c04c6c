"""The /metrics scrape reads budget periods and their budgets through its own SELECT policy
(tenancy.context.metrics_read_access), not the audited platform path: that wrote an audit row
per scrape."""

from django.db import migrations

from melmastoon_ai.tenancy.rls import metrics_reader_policy


class Migration(migrations.Migration):
    dependencies = [("budgets", "0002_default_tenant_budgets")]

    operations = [metrics_reader_policy("Budget"), metrics_reader_policy("BudgetPeriod")]
