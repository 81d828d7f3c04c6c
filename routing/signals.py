"""Registry cache invalidation after any committed change, including admin edits and history reverts."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from routing.models import EmbeddingChain, Model, ModelDeployment, Provider
from routing.selectors import REGISTRY_CACHE


@receiver([post_save, post_delete], sender=Provider)
@receiver([post_save, post_delete], sender=Model)
@receiver([post_save, post_delete], sender=ModelDeployment)
@receiver([post_save, post_delete], sender=EmbeddingChain)
def invalidate_registry(**kwargs) -> None:
    transaction.on_commit(REGISTRY_CACHE.invalidate)
