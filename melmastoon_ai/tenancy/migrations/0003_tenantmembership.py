import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from melmastoon_ai.tenancy.rls import EnableRowLevelSecurity, ExtraPolicy


class Migration(migrations.Migration):

    dependencies = [
        ("tenancy", "0002_tenant_moderation_thresholds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="TenantMembership",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("tenant", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                             to="tenancy.tenant")),
                ("user", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="membership",
                                              to=settings.AUTH_USER_MODEL)),
            ],
            options={"ordering": ["tenant", "user"]},
        ),
        EnableRowLevelSecurity(
            "TenantMembership",
            extra_policies=(
                # A reviewer's login reads their membership before the tenant is known, and only
                # their own (see tenancy.context.membership_lookup).
                ExtraPolicy(
                    name="login_lookup",
                    command="SELECT",
                    using="user_id = NULLIF(current_setting('app.user_id', true), '')::integer",
                ),
            ),
        ),
    ]
