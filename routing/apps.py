from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "Models and routing"

    def ready(self) -> None:
        from routing import observability, signals  # noqa: F401  (circuit states, cache invalidation)
