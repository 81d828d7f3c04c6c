from django.apps import AppConfig


class ManifestsConfig(AppConfig):
    name = "manifests"
    verbose_name = "Edge models and signed manifests"

    def ready(self) -> None:
        from manifests import checks, readiness  # noqa: F401  (the signer boot check, the /readyz check)
