from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "Models and routing"

    def ready(self) -> None:
        from routing import observability, signals  # noqa: F401  (circuit states, cache invalidation)
        from routing.flags import register_provider_flags

        register_provider_flags()
