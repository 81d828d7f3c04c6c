from django.apps import AppConfig
from django.core.signals import request_finished


class TenancyConfig(AppConfig):
    name = "melmastoon_ai.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy and access"

    def ready(self) -> None:
        from melmastoon_ai.tenancy import checks, schema  # noqa: F401  (role check, OpenAPI schemes)
        from melmastoon_ai.tenancy.signals import clear_transaction_tenant

        request_finished.connect(clear_transaction_tenant, dispatch_uid="tenancy.clear_transaction_tenant")
