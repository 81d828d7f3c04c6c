"""The budget cache is invalidated after any committed change to a budget (admin, API, command)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from budgets.models import Budget
from budgets.selectors import BUDGET_CACHE


@receiver([post_save, post_delete], sender=Budget)
def invalidate_budgets(**kwargs) -> None:
    transaction.on_commit(BUDGET_CACHE.invalidate)
