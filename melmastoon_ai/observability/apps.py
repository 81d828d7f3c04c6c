from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "melmastoon_ai.observability"
    label = "observability"
    verbose_name = "Observability"
