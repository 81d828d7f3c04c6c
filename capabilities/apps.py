from django.apps import AppConfig


class CapabilitiesConfig(AppConfig):
    name = "capabilities"
    verbose_name = "Capability catalog"

    def ready(self) -> None:
        import guardrails
        from capabilities import readiness, signals  # noqa: F401  (readiness check, cache invalidation)

        guardrails.warm_up()  # compile the lexicons now, not in the first request (about 180 ms)
