from django.apps import AppConfig
from django.core.signals import request_finished
from django.db.models.signals import post_delete, post_save


class TenancyConfig(AppConfig):
    name = "melmastoon_ai.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy and access"

    def ready(self) -> None:
        from melmastoon_ai.tenancy import checks, schema  # noqa: F401  (role check, OpenAPI schemes)
        from melmastoon_ai.tenancy.models import ApiKey, Tenant
        from melmastoon_ai.tenancy.signals import clear_transaction_tenant, invalidate_credentials

        request_finished.connect(clear_transaction_tenant, dispatch_uid="tenancy.clear_transaction_tenant")
        for model in (ApiKey, Tenant):
            for signal in (post_save, post_delete):
                signal.connect(
                    invalidate_credentials, sender=model, dispatch_uid=f"tenancy.credentials.{model.__name__}"
                )
