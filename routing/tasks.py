from celery import shared_task
from django.conf import settings

from routing.services import deployments_probe


@shared_task(name="routing.probe_deployments", ignore_result=True)
def probe_deployments() -> dict[str, str]:
    """Probe every ready self-hosted deployment and record its health (beat, seed 003)."""
    return deployments_probe(timeout=settings.DEPLOYMENT_HEALTH_TIMEOUT_SECONDS)
