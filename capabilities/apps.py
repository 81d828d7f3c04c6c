from django.apps import AppConfig


class CapabilitiesConfig(AppConfig):
    name = "capabilities"
    verbose_name = "Capability catalog"

    def ready(self) -> None:
        import guardrails
        from capabilities import readiness, signals  # noqa: F401  (readiness check, cache invalidation)
        from capabilities.cache import register_cache_flag
        from capabilities.reporting import bigquery_metrics  # noqa: F401  (the export-lag collector)
        from capabilities.reporting.dashboard import admin_home_panel
        from melmastoon_ai.admin_site import register_home_panel

        register_cache_flag()
        register_home_panel(admin_home_panel)
        guardrails.warm_up()  # compile the lexicons now, not in the first request (about 180 ms)
