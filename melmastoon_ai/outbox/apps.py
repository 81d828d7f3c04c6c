from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "melmastoon_ai.outbox"
    label = "outbox"
    verbose_name = "Outbox events"

    def ready(self) -> None:
        from melmastoon_ai.outbox import metrics  # noqa: F401  (the relay's Prometheus collector)
