from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "melmastoon_ai.outbox"
    label = "outbox"
    verbose_name = "Outbox events"
