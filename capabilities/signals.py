"""Catalog cache invalidation after any committed change."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from capabilities.models import Capability
from capabilities.selectors import CATALOG_CACHE


@receiver([post_save, post_delete], sender=Capability)
def invalidate_catalog(**kwargs) -> None:
    transaction.on_commit(CATALOG_CACHE.invalidate)
