# The usage report's fallback count and the inference browser's subject index. The index is built
# CONCURRENTLY: the inference records take a write on every call, and a plain CREATE INDEX would
# block those writes for as long as the build takes on a large table.

import django.db.models.fields.json
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('capabilities', '0005_usage_fact_without_inference'),
        ('tenancy', '0004_tenant_operator'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='usagefact',
            options={'verbose_name': 'usage and cost', 'verbose_name_plural': 'usage and cost'},
        ),
        migrations.AddField(
            model_name='usagefact',
            name='fallback_used',
            field=models.BooleanField(default=False),
        ),
        AddIndexConcurrently(
            model_name='inferencerecord',
            index=models.Index(models.F('tenant'), django.db.models.fields.json.KeyTextTransform('subject_ref', 'context'), models.OrderBy(models.F('created_at'), descending=True), name='inference_tenant_subject_idx'),
        ),
    ]
