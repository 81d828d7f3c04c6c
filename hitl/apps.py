from django.apps import AppConfig


class HitlConfig(AppConfig):
    name = "hitl"
    verbose_name = "Human review (HITL)"

    def ready(self) -> None:
        from hitl import metrics  # noqa: F401  (the queue's Prometheus collector)
