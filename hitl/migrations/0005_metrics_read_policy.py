"""The /metrics scrape counts open and breached gates through its own SELECT policy
(tenancy.context.metrics_read_access), not the audited platform path: that wrote an audit row
per scrape."""

from django.db import migrations

from melmastoon_ai.tenancy.rls import metrics_reader_policy


class Migration(migrations.Migration):
    dependencies = [("hitl", "0004_gate_output_schema")]

    operations = [metrics_reader_policy("HitlGate")]
