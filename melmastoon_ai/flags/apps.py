from django.apps import AppConfig


class FlagsConfig(AppConfig):
    name = "melmastoon_ai.flags"
    label = "flags"
    verbose_name = "Feature flags"
