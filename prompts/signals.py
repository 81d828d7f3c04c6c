"""Prompt cache invalidation after any committed change."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from prompts.models import Prompt, PromptVersion
from prompts.selectors import PROMPT_CACHE


@receiver([post_save, post_delete], sender=Prompt)
@receiver([post_save, post_delete], sender=PromptVersion)
def invalidate_prompts(**kwargs) -> None:
    transaction.on_commit(PROMPT_CACHE.invalidate)
