"""The /metrics scrape counts pending and parked events through its own SELECT policy
(tenancy.context.metrics_read_access), not the audited platform path: that wrote an audit row
per scrape."""

from django.db import migrations

from melmastoon_ai.tenancy.rls import metrics_reader_policy


class Migration(migrations.Migration):
    dependencies = [("outbox", "0002_relay_policy")]

    operations = [metrics_reader_policy("OutboxEvent")]
