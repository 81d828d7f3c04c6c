from django.apps import AppConfig


class EvalsConfig(AppConfig):
    name = "evals"
    verbose_name = "Evaluations"

    def ready(self) -> None:
        from evals.admin import drift_home_panel
        from melmastoon_ai.admin_site import register_home_panel

        register_home_panel(drift_home_panel)
