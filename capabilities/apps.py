from django.apps import AppConfig


class CapabilitiesConfig(AppConfig):
    name = "capabilities"
    verbose_name = "Capability catalog"

    def ready(self) -> None:
        from capabilities import readiness, signals  # noqa: F401  (readiness check, cache invalidation)
