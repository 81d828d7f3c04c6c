from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "melmastoon_ai.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
