from django.urls import path

from budgets import apis

urlpatterns = [
    path("ai/budgets", apis.BudgetListApi.as_view(), name="budgets"),
    path("admin/budgets", apis.BudgetAdminApi.as_view(), name="budgets-admin"),
]
