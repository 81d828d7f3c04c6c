from django.apps import AppConfig


class BudgetsConfig(AppConfig):
    name = "budgets"
    verbose_name = "Budgets"

    def ready(self) -> None:
        from budgets import metrics, signals  # noqa: F401  (Prometheus collector, cache invalidation)
