from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "melmastoon_ai.observability"
    label = "observability"
    verbose_name = "Observability"

    def ready(self) -> None:
        from django.conf import settings

        from melmastoon_ai.observability.tracing import configure_tracing

        configure_tracing(endpoint=settings.OTEL_TRACES_ENDPOINT, service_name=settings.OTEL_SERVICE_NAME)
